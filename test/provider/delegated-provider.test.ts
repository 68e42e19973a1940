// Providers whose approvals and receipts are not signed by the provider's own key, as the live
// Diamond accepts them: a delegate.xyz delegatee holding the provider's PROVIDER rights, and the
// owner() of a contract provider (upstream's ProvidersDelegate). A real provider node signs with
// that key and the real consumer opens, prompts and closes the session: no dispute. The consumer's
// check refuses what the contract refuses (another signer, a contract without a usable owner()).
import { encodeFunctionData, erc20Abi, keccak256, maxUint256, parseEther, stringToHex, type Address, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccounts, devPrivateKey } from "@/lib/chain/anvil";
import { computeNodeAbi, contractProviderAbi, delegateRegistryAbi } from "@/lib/chain/contracts.generated";
import { deployContractProvider } from "@/lib/chain/deploy";
import { getContractOwner, getProviderModelStats, getSession } from "@/lib/chain/reads";
import { registerModel, walletFor } from "@/lib/chain/writes";
import { closeProviderSession, isSignedForProvider, openProviderSession, promptSession, type Consumer, type SessionOffer } from "@/lib/consumer";
import { startProviderNode } from "@/lib/provider";
import {
  CHAT,
  Cleanup,
  cliEnv,
  collect,
  consumerFor,
  modelIdFor,
  modelsConfig,
  modelsConfigJson,
  PRICE,
  runCli,
  seedProvider,
  startChain,
  startDemo,
  startProviderProcess,
  streamedText,
  type TestChain,
} from "./fixture";

const DELEGATOR = 2;
const DELEGATEE = 4;
const MODEL_OWNER = 3;
const CONTRACT_OWNER = 8;
const STRANGER = 9;
const USER = 6;
const addr = (i: number) => devAccounts[i].address;
const PROVIDER_RIGHTS = keccak256(stringToHex("delegation.rules.provider"));

const cleanup = new Cleanup();
let chain: TestChain;
let demoUrl: string;
let consumer: Consumer;

beforeAll(async () => {
  chain = await startChain(cleanup);
  demoUrl = (await startDemo(cleanup)).url;
  consumer = await consumerFor(chain, USER);
});
afterAll(() => cleanup.run());

async function sendAs(index: number, request: { address: Address; data: Hex }): Promise<void> {
  const wallet = walletFor(chain.ctx, devAccounts[index]);
  const hash = await wallet.sendTransaction({ to: request.address, data: request.data, account: wallet.account, chain: wallet.chain });
  expect((await chain.client.waitForTransactionReceipt({ hash })).status).toBe("success");
}

/** A real provider node signing with dev account `keyIndex`'s key for `provider`'s bids. */
async function startNodeFor(keyIndex: number, provider: Address, modelId: Hex) {
  const node = await startProviderNode({
    privateKey: devPrivateKey(devAccounts[keyIndex]),
    providerAddress: provider,
    models: modelsConfig([{ modelId, url: demoUrl }]),
    reader: { client: chain.client, diamond: chain.deployed.diamond },
    host: "127.0.0.1",
    port: 0,
  });
  cleanup.add(() => node.close(1_000));
  return `127.0.0.1:${node.port}`;
}

/** Opens, prompts and closes a session on `offer` through the consumer; returns the closed session. */
async function fullSession(offer: SessionOffer) {
  const session = await openProviderSession(consumer, offer, { durationSeconds: 600n });
  const replies = await collect(promptSession(consumer, session, { ...CHAT, stream: true }));
  expect(streamedText(replies).length).toBeGreaterThan(0);
  const closed = await closeProviderSession(consumer, session);
  return { closed, onChain: await getSession(chain.ctx, session.sessionId) };
}

describe("a provider served by a delegatee's key", () => {
  const modelId = modelIdFor(DELEGATOR, "delegated-model");

  it("the node refuses to start for a provider that gave its key no PROVIDER rights", async () => {
    await expect(startNodeFor(DELEGATEE, addr(DELEGATOR), modelId)).rejects.toThrow(/may not sign for provider/);
    expect(await isSignedForProvider(consumer, addr(DELEGATOR), addr(DELEGATEE))).toBe(false);
  });

  it("opens and closes without dispute once the provider delegated PROVIDER rights (approval and receipt signed by the delegatee)", async () => {
    await sendAs(DELEGATOR, {
      address: chain.deployed.delegateRegistry,
      data: encodeFunctionData({ abi: delegateRegistryAbi, functionName: "delegateContract", args: [addr(DELEGATEE), chain.deployed.diamond, PROVIDER_RIGHTS, true] }),
    });
    expect(await isSignedForProvider(consumer, addr(DELEGATOR), addr(DELEGATEE))).toBe(true);
    expect(await isSignedForProvider(consumer, addr(DELEGATOR), addr(STRANGER))).toBe(false);

    const endpoint = await startNodeFor(DELEGATEE, addr(DELEGATOR), modelId);
    const { bidId } = await seedProvider(chain, { providerIndex: DELEGATOR, endpoint, name: "delegated-model" });
    const { closed, onChain } = await fullSession({ bidId, provider: addr(DELEGATOR), endpoint, pricePerSecond: PRICE });
    expect(closed).toMatchObject({ disputed: false });
    expect(onChain.closeoutType).toBe(0n);
    expect(await getProviderModelStats(chain.ctx, modelId, addr(DELEGATOR))).toMatchObject({ successCount: 1, totalCount: 1 });
  });

  it("npm run provider -- serve with PROVIDER_ADDRESS: starts for the delegator with the delegatee's key, refuses a key without rights", async () => {
    const env = (keyIndex: number) =>
      cliEnv(chain, {
        PROVIDER_PRIVATE_KEY: devPrivateKey(devAccounts[keyIndex]),
        PROVIDER_ADDRESS: addr(DELEGATOR),
        MODELS_CONFIG_CONTENT: JSON.stringify(modelsConfigJson([{ modelId, url: demoUrl }])),
      });
    const refused = await runCli(["serve", "--listen", "127.0.0.1:0"], env(STRANGER));
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain(`may not sign for provider ${addr(DELEGATOR)}`);

    const served = await startProviderProcess(cleanup, env(DELEGATEE));
    expect(served.output()).toContain(`provider ${addr(DELEGATOR)} (signing as ${addr(DELEGATEE)})`);
  });
});

describe("a contract provider served by its owner()'s key", () => {
  it("opens and closes without dispute (approval and receipt signed by owner())", async () => {
    const provider = await deployContractProvider({ rpcUrl: chain.anvil.rpcUrl, owner: devAccounts[CONTRACT_OWNER] });
    const execute = (target: Address, data: Hex) =>
      sendAs(CONTRACT_OWNER, { address: provider, data: encodeFunctionData({ abi: contractProviderAbi, functionName: "execute", args: [target, data] }) });
    await sendAs(CONTRACT_OWNER, { address: chain.deployed.mor, data: encodeFunctionData({ abi: erc20Abi, functionName: "transfer", args: [provider, parseEther("1000")] }) });
    await execute(chain.deployed.mor, encodeFunctionData({ abi: erc20Abi, functionName: "approve", args: [chain.deployed.diamond, maxUint256] }));
    const { modelId } = await registerModel(chain.ctx, walletFor(chain.ctx, devAccounts[MODEL_OWNER]), { name: "contract-model", tags: [], stake: parseEther("0.1") });

    const endpoint = await startNodeFor(CONTRACT_OWNER, provider, modelId);
    await execute(chain.deployed.diamond, encodeFunctionData({ abi: computeNodeAbi, functionName: "providerRegister", args: [provider, parseEther("500"), endpoint] }));
    await execute(chain.deployed.diamond, encodeFunctionData({ abi: computeNodeAbi, functionName: "postModelBid", args: [provider, modelId, PRICE] }));
    const [[bidId]] = await chain.client.readContract({ address: chain.deployed.diamond, abi: computeNodeAbi, functionName: "getProviderActiveBids", args: [provider, 0n, 1n] });

    expect(await getContractOwner(chain.ctx, provider)).toBe(addr(CONTRACT_OWNER).toLowerCase());
    expect(await isSignedForProvider(consumer, provider, addr(CONTRACT_OWNER))).toBe(true);
    expect(await isSignedForProvider(consumer, provider, addr(STRANGER))).toBe(false);

    const { closed, onChain } = await fullSession({ bidId, provider, endpoint, pricePerSecond: PRICE });
    expect(closed).toMatchObject({ disputed: false });
    expect(onChain.closeoutType).toBe(0n);
    expect(await getProviderModelStats(chain.ctx, modelId, provider)).toMatchObject({ successCount: 1, totalCount: 1 });
  });

  it("a contract whose owner() fails or is not one address word signs for nobody", async () => {
    // Runtime code that returns the 32-byte word 0xff…ff to any call (not an address), and one that returns 64 zero bytes.
    const deployRuntime = async (runtime: Hex): Promise<Address> => {
      const size = (runtime.length - 2) / 2;
      const init = `0x60${size.toString(16).padStart(2, "0")}600c60003960${size.toString(16).padStart(2, "0")}6000f3${runtime.slice(2)}` as Hex;
      const wallet = walletFor(chain.ctx, devAccounts[STRANGER]);
      const hash = await wallet.sendTransaction({ data: init, account: wallet.account, chain: wallet.chain });
      const receipt = await chain.client.waitForTransactionReceipt({ hash });
      return receipt.contractAddress!;
    };
    const notAnAddress = await deployRuntime(`0x7f${"ff".repeat(32)}60005260206000f3`);
    const twoWords = await deployRuntime("0x60406000f3");
    expect(await chain.client.getCode({ address: notAnAddress })).toMatch(/^0x7f/);

    expect(await getContractOwner(chain.ctx, notAnAddress)).toBeNull();
    expect(await getContractOwner(chain.ctx, twoWords)).toBeNull();
    expect(await getContractOwner(chain.ctx, chain.deployed.delegateRegistry)).toBeNull(); // no owner(): reverts
    expect(await getContractOwner(chain.ctx, addr(STRANGER))).toBeNull(); // not a contract
    for (const provider of [notAnAddress, twoWords, chain.deployed.delegateRegistry]) {
      expect(await isSignedForProvider(consumer, provider, addr(STRANGER))).toBe(false);
    }
    expect(await isSignedForProvider(consumer, addr(DELEGATOR), null)).toBe(false);
  });
});
