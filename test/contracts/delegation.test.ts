// Delegation against a real anvil: the facet and its registry (the local stand-in for delegate.xyz
// v2), every account check accepting a delegatee with the matching rights, and session approvals
// and receipts signed by a PROVIDER-rights delegatee or by owner() of a contract provider.
import { encodeFunctionData, encodePacked, erc20Abi, keccak256, maxUint256, parseEther, parseEventLogs, stringToHex, zeroHash, type Address, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccounts, increaseTime } from "@/lib/chain/anvil";
import { computeNodeAbi, contractProviderAbi, delegateRegistryAbi } from "@/lib/chain/contracts.generated";
import { deployContractProvider } from "@/lib/chain/deploy";
import { DELEGATION_RULES_PROVIDER, getSessionEconomics, stakeForDuration } from "@/lib/chain/reads";
import { baseModelIdFor, ensureMorAllowance, modelIdOf, openSession, registerModel, writeComputeNode } from "@/lib/chain/writes";
import { approvalFor, expectRevert, goToNextDay, morBalance, read, receiptFor, startMarket, type Market } from "./fixture";

let market: Market;
beforeAll(async () => {
  market = await startMarket();
});
afterAll(async () => {
  await market?.stop();
});

const OWNER = 0;
const PROVIDER = 2;
const MODEL_OWNER = 3;
/** Gets PROVIDER, MODEL, MARKETPLACE and SESSION rights from the provider / model owner over the tests. */
const DELEGATEE = 4;
/** Gets only SESSION rights from the provider: not enough to sign for it. */
const SESSION_ONLY = 5;
const USER = 6;
/** Gets SESSION rights from the user. */
const USER_DELEGATEE = 7;
const CONTRACT_OWNER = 8;
const STRANGER = 9;
const addr = (i: number) => devAccounts[i].address;
const price = 10n ** 14n;

const rule = (name: string) => keccak256(stringToHex(`delegation.rules.${name}`));
const RIGHTS = { provider: rule("provider"), model: rule("model"), marketplace: rule("marketplace"), session: rule("session") };

/** `from` delegates (or revokes) `rights` to `to` on the local registry: for the Diamond only, or for everything. */
async function delegate(from: number, to: number, rights: Hex, { scope = "diamond", enable = true }: { scope?: "diamond" | "all" | Address; enable?: boolean } = {}) {
  const wallet = market.wallets[from];
  const common = { address: market.deployed.delegateRegistry, abi: delegateRegistryAbi, account: wallet.account, chain: wallet.chain } as const;
  const hash =
    scope === "all"
      ? await wallet.writeContract({ ...common, functionName: "delegateAll", args: [addr(to), rights, enable] })
      : await wallet.writeContract({ ...common, functionName: "delegateContract", args: [addr(to), scope === "diamond" ? market.ctx.diamond : scope, rights, enable] });
  const receipt = await market.client.waitForTransactionReceipt({ hash });
  expect(receipt.status).toBe("success");
}

function registry<F extends "checkDelegateForAll" | "checkDelegateForContract">(functionName: F, args: F extends "checkDelegateForAll" ? [Address, Address, Hex] : [Address, Address, Address, Hex]) {
  return market.client.readContract({ address: market.deployed.delegateRegistry, abi: delegateRegistryAbi, functionName, args } as never) as Promise<boolean>;
}

async function stakeFor(seconds: bigint): Promise<bigint> {
  return stakeForDuration(await getSessionEconomics(market.ctx), price, seconds);
}

async function closeoutType(sessionId: Hex): Promise<bigint> {
  return (await read(market, "getSession", [sessionId])).closeoutType;
}

describe("Delegation facet", () => {
  it("__Delegation_init / getRegistry: the deploy points the facet at the local registry, once", async () => {
    expect(await read(market, "getRegistry", [])).toBe(market.deployed.delegateRegistry);
    await expectRevert(writeComputeNode(market.ctx, market.wallets[OWNER], "__Delegation_init", [addr(STRANGER)]), "DelegationAlreadyInitialized");
    await expectRevert(writeComputeNode(market.ctx, market.wallets[STRANGER], "__Delegation_init", [addr(STRANGER)]), "OwnableUnauthorizedAccount");
  });

  it("setRegistry: owner only, emits DelegationRegistryUpdated", async () => {
    await expectRevert(writeComputeNode(market.ctx, market.wallets[STRANGER], "setRegistry", [addr(STRANGER)]), "OwnableUnauthorizedAccount");
    const { receipt } = await writeComputeNode(market.ctx, market.wallets[OWNER], "setRegistry", [addr(STRANGER)]);
    const [event] = parseEventLogs({ abi: computeNodeAbi, logs: receipt.logs, eventName: "DelegationRegistryUpdated" });
    expect(event.args.registry).toBe(addr(STRANGER));
    expect(await read(market, "getRegistry", [])).toBe(addr(STRANGER));
    await writeComputeNode(market.ctx, market.wallets[OWNER], "setRegistry", [market.deployed.delegateRegistry]);
    expect(await read(market, "getRegistry", [])).toBe(market.deployed.delegateRegistry);
  });

  it("DELEGATION_RULES_PROVIDER / DELEGATION_RULES_MODEL / DELEGATION_RULES_MARKETPLACE / DELEGATION_RULES_SESSION: keccak256 of the live rule names", async () => {
    expect(await read(market, "DELEGATION_RULES_PROVIDER", [])).toBe(RIGHTS.provider);
    expect(await read(market, "DELEGATION_RULES_MODEL", [])).toBe(RIGHTS.model);
    expect(await read(market, "DELEGATION_RULES_MARKETPLACE", [])).toBe(RIGHTS.marketplace);
    expect(await read(market, "DELEGATION_RULES_SESSION", [])).toBe(RIGHTS.session);
    expect(DELEGATION_RULES_PROVIDER).toBe(RIGHTS.provider);
  });
});

describe("local delegate.xyz v2 registry", () => {
  // Dev accounts #1 and #9 (and #9 → #5 wallet-wide) are used by this test only.
  it("isRightsDelegated: empty rights cover every rights value, specific rights only that one; contract scope, wallet scope, revocation", async () => {
    const [from, to] = [9, 1];
    expect(await read(market, "isRightsDelegated", [addr(to), addr(from), RIGHTS.model])).toBe(false);

    // A specific right, wallet-wide: only that right, at any contract.
    await delegate(from, to, RIGHTS.model, { scope: "all" });
    expect(await registry("checkDelegateForAll", [addr(to), addr(from), RIGHTS.model])).toBe(true);
    expect(await registry("checkDelegateForAll", [addr(to), addr(from), RIGHTS.session])).toBe(false);
    expect(await registry("checkDelegateForAll", [addr(to), addr(from), zeroHash])).toBe(false);
    expect(await registry("checkDelegateForContract", [addr(to), addr(from), market.ctx.mor, RIGHTS.model])).toBe(true);
    expect(await read(market, "isRightsDelegated", [addr(to), addr(from), RIGHTS.model])).toBe(true);
    expect(await read(market, "isRightsDelegated", [addr(to), addr(from), RIGHTS.provider])).toBe(false);
    // Direction matters.
    expect(await read(market, "isRightsDelegated", [addr(from), addr(to), RIGHTS.model])).toBe(false);

    // Empty rights for the Diamond only: every right there, nothing elsewhere or wallet-wide.
    await delegate(from, to, zeroHash);
    for (const rights of Object.values(RIGHTS)) expect(await read(market, "isRightsDelegated", [addr(to), addr(from), rights])).toBe(true);
    expect(await registry("checkDelegateForContract", [addr(to), addr(from), market.ctx.mor, RIGHTS.session])).toBe(false);
    expect(await registry("checkDelegateForAll", [addr(to), addr(from), RIGHTS.session])).toBe(false);

    // Revoking the contract delegation leaves the wallet-wide MODEL right.
    await delegate(from, to, zeroHash, { enable: false });
    expect(await read(market, "isRightsDelegated", [addr(to), addr(from), RIGHTS.session])).toBe(false);
    expect(await read(market, "isRightsDelegated", [addr(to), addr(from), RIGHTS.model])).toBe(true);
    await delegate(from, to, RIGHTS.model, { scope: "all", enable: false });
    expect(await read(market, "isRightsDelegated", [addr(to), addr(from), RIGHTS.model])).toBe(false);

    // Empty rights wallet-wide: everything, everywhere.
    await delegate(from, 5, zeroHash, { scope: "all" });
    expect(await registry("checkDelegateForAll", [addr(5), addr(from), zeroHash])).toBe(true);
    expect(await registry("checkDelegateForContract", [addr(5), addr(from), market.ctx.mor, RIGHTS.session])).toBe(true);
    expect(await read(market, "isRightsDelegated", [addr(5), addr(from), RIGHTS.provider])).toBe(true);
    await delegate(from, 5, zeroHash, { scope: "all", enable: false });
    expect(await read(market, "isRightsDelegated", [addr(5), addr(from), RIGHTS.provider])).toBe(false);
  });

  it("delegateAll / delegateContract: return v2's delegation hashes (keccak256 of the packed parameters << 8 | type)", async () => {
    const account = devAccounts[1];
    const common = { address: market.deployed.delegateRegistry, abi: delegateRegistryAbi, account } as const;
    const all = await market.client.simulateContract({ ...common, functionName: "delegateAll", args: [addr(2), RIGHTS.model, true] });
    const scoped = await market.client.simulateContract({ ...common, functionName: "delegateContract", args: [addr(2), market.ctx.diamond, RIGHTS.model, true] });
    const typed = (hash: Hex, type: bigint) => `0x${(((BigInt(hash) << 8n) | type) & maxUint256).toString(16).padStart(64, "0")}`;
    expect(all.result).toBe(typed(keccak256(encodePacked(["bytes32", "address", "address"], [RIGHTS.model, account.address, addr(2)])), 1n));
    expect(scoped.result).toBe(
      typed(keccak256(encodePacked(["bytes32", "address", "address", "address"], [RIGHTS.model, account.address, addr(2), market.ctx.diamond])), 2n),
    );
  });
});

describe("account checks accept a delegatee with the matching rights", () => {
  let modelId: Hex;
  let bidId: Hex;

  it("providerRegister / providerDeregister: PROVIDER rights; without them InsufficientRightsForOperation", async () => {
    const stake = parseEther("1000");
    await ensureMorAllowance(market.ctx, market.wallets[PROVIDER], stake);
    const register = () => writeComputeNode(market.ctx, market.wallets[DELEGATEE], "providerRegister", [addr(PROVIDER), stake, "delegated.example:3333"]);
    const refused = await expectRevert(register(), "InsufficientRightsForOperation");
    expect(refused.errorArgs).toEqual([addr(PROVIDER), addr(DELEGATEE)]);
    await delegate(PROVIDER, DELEGATEE, RIGHTS.model); // the wrong right
    await expectRevert(register(), "InsufficientRightsForOperation");

    await delegate(PROVIDER, DELEGATEE, RIGHTS.provider);
    const before = await morBalance(market, addr(PROVIDER));
    await register();
    const registered = await read(market, "getProvider", [addr(PROVIDER)]);
    expect(registered).toMatchObject({ endpoint: "delegated.example:3333", stake, isDeleted: false });
    expect(await morBalance(market, addr(PROVIDER))).toBe(before - stake); // the provider's MOR, not the delegatee's

    await expectRevert(writeComputeNode(market.ctx, market.wallets[SESSION_ONLY], "providerDeregister", [addr(PROVIDER)]), "InsufficientRightsForOperation");
    await writeComputeNode(market.ctx, market.wallets[DELEGATEE], "providerDeregister", [addr(PROVIDER)]);
    expect((await read(market, "getProvider", [addr(PROVIDER)])).isDeleted).toBe(true);
    expect(await morBalance(market, addr(PROVIDER))).toBe(before); // the stake went back to the provider

    await ensureMorAllowance(market.ctx, market.wallets[PROVIDER], parseEther("10000"));
    await writeComputeNode(market.ctx, market.wallets[DELEGATEE], "providerRegister", [addr(PROVIDER), parseEther("10000"), "delegated.example:3333"]);
  });

  it("modelRegister / modelDeregister: MODEL rights", async () => {
    const baseModelId = baseModelIdFor("delegated-model");
    modelId = modelIdOf(addr(MODEL_OWNER), baseModelId);
    const stake = parseEther("0.1");
    await ensureMorAllowance(market.ctx, market.wallets[MODEL_OWNER], stake * 2n);
    const register = () =>
      writeComputeNode(market.ctx, market.wallets[DELEGATEE], "modelRegister", [addr(MODEL_OWNER), baseModelId, zeroHash, 0n, stake, "delegated-model", ["chat"]]);
    await expectRevert(register(), "InsufficientRightsForOperation");
    await delegate(MODEL_OWNER, DELEGATEE, RIGHTS.model);
    await register();
    expect((await read(market, "getModel", [modelId])).owner).toBe(addr(MODEL_OWNER));

    await expectRevert(writeComputeNode(market.ctx, market.wallets[STRANGER], "modelDeregister", [modelId]), "InsufficientRightsForOperation");
    await writeComputeNode(market.ctx, market.wallets[DELEGATEE], "modelDeregister", [modelId]);
    expect((await read(market, "getModel", [modelId])).isDeleted).toBe(true);
    await register();
  });

  it("postModelBid / deleteModelBid: MARKETPLACE rights (PROVIDER rights are not enough)", async () => {
    await ensureMorAllowance(market.ctx, market.wallets[PROVIDER], parseEther("0.6"));
    const post = () => writeComputeNode(market.ctx, market.wallets[DELEGATEE], "postModelBid", [addr(PROVIDER), modelId, price]);
    await expectRevert(post(), "InsufficientRightsForOperation");
    await delegate(PROVIDER, DELEGATEE, RIGHTS.marketplace);
    await post();
    const [first] = await read(market, "getProviderActiveBids", [addr(PROVIDER), 0n, 10n]);
    expect(first).toHaveLength(1);
    await expectRevert(writeComputeNode(market.ctx, market.wallets[SESSION_ONLY], "deleteModelBid", [first[0]]), "InsufficientRightsForOperation");
    await writeComputeNode(market.ctx, market.wallets[DELEGATEE], "deleteModelBid", [first[0]]);
    expect((await read(market, "getProviderActiveBids", [addr(PROVIDER), 0n, 10n]))[0]).toHaveLength(0);
    await post();
    bidId = (await read(market, "getProviderActiveBids", [addr(PROVIDER), 0n, 10n]))[0][0];
  });

  it("openSession / closeSession / withdrawUserStakes / claimForProvider: SESSION rights", async () => {
    const amount = await stakeFor(3600n);
    await ensureMorAllowance(market.ctx, market.wallets[USER], amount);
    const approval = await approvalFor(market, { bidId, signer: PROVIDER, user: USER });
    const open = () => writeComputeNode(market.ctx, market.wallets[USER_DELEGATEE], "openSession", [addr(USER), amount, false, approval.approval, approval.approvalSig]);
    await expectRevert(open(), "InsufficientRightsForOperation");
    await delegate(USER, USER_DELEGATEE, RIGHTS.session);
    const userBefore = await morBalance(market, addr(USER));
    const { receipt } = await open();
    const [opened] = parseEventLogs({ abi: computeNodeAbi, logs: receipt.logs, eventName: "SessionOpened" });
    expect(opened.args.user).toBe(addr(USER));
    expect(await morBalance(market, addr(USER))).toBe(userBefore - amount);

    await increaseTime(market.anvil.rpcUrl, 600); // so the early close holds back something to withdraw
    const closeReceipt = await receiptFor(market, { sessionId: opened.args.sessionId, signer: PROVIDER });
    await expectRevert(writeComputeNode(market.ctx, market.wallets[STRANGER], "closeSession", [closeReceipt.report, closeReceipt.signedReport]), "InsufficientRightsForOperation");
    await writeComputeNode(market.ctx, market.wallets[USER_DELEGATEE], "closeSession", [closeReceipt.report, closeReceipt.signedReport]);
    expect(await closeoutType(opened.args.sessionId)).toBe(0n);

    // The early close put part of the stake on hold until tomorrow; the delegatee withdraws it for the user.
    await goToNextDay(market, 3600n);
    await expectRevert(writeComputeNode(market.ctx, market.wallets[STRANGER], "withdrawUserStakes", [addr(USER), 255]), "InsufficientRightsForOperation");
    const beforeWithdraw = await morBalance(market, addr(USER));
    await writeComputeNode(market.ctx, market.wallets[USER_DELEGATEE], "withdrawUserStakes", [addr(USER), 255]);
    expect(await morBalance(market, addr(USER))).toBeGreaterThan(beforeWithdraw);

    const claim = () => writeComputeNode(market.ctx, market.wallets[DELEGATEE], "claimForProvider", [opened.args.sessionId]);
    await expectRevert(claim(), "InsufficientRightsForOperation");
    await delegate(PROVIDER, DELEGATEE, RIGHTS.session);
    await claim();
  });
});

describe("approvals and receipts signed for the provider", () => {
  async function providerBid(provider: Address): Promise<Hex> {
    return (await read(market, "getProviderActiveBids", [provider, 0n, 10n]))[0][0];
  }

  async function openWith(bidId: Hex, signer: number): Promise<Hex> {
    const approval = await approvalFor(market, { bidId, signer, user: USER });
    return (await openSession(market.ctx, market.wallets[USER], { amount: await stakeFor(3600n), ...approval })).sessionId;
  }

  async function closeWith(sessionId: Hex, signer: number): Promise<void> {
    const receipt = await receiptFor(market, { sessionId, signer, tpsScaled1000: 30_000, ttftMs: 250 });
    await writeComputeNode(market.ctx, market.wallets[USER], "closeSession", [receipt.report, receipt.signedReport]);
  }

  it("openSession / closeSession: a PROVIDER-rights delegatee's approval opens and its receipt closes without dispute (stats updated)", async () => {
    const bidId = await providerBid(addr(PROVIDER));
    const { modelId } = await read(market, "getBid", [bidId]);
    const statsBefore = await read(market, "getProviderModelStats", [modelId, addr(PROVIDER)]);
    const sessionId = await openWith(bidId, DELEGATEE);
    await closeWith(sessionId, DELEGATEE);
    expect(await closeoutType(sessionId)).toBe(0n);
    const stats = await read(market, "getProviderModelStats", [modelId, addr(PROVIDER)]);
    expect(stats.successCount).toBe(statsBefore.successCount + 1);
    expect(stats.totalCount).toBe(statsBefore.totalCount + 1);
  });

  it("openSession / closeSession: other rights or no rights do not sign for the provider (SessionProviderSignatureMismatch, dispute)", async () => {
    await delegate(PROVIDER, SESSION_ONLY, RIGHTS.session);
    const bidId = await providerBid(addr(PROVIDER));
    const approval = await approvalFor(market, { bidId, signer: SESSION_ONLY, user: USER });
    const amount = await stakeFor(3600n);
    await expectRevert(openSession(market.ctx, market.wallets[USER], { amount, ...approval }), "SessionProviderSignatureMismatch");
    const stranger = await approvalFor(market, { bidId, signer: STRANGER, user: USER });
    await expectRevert(openSession(market.ctx, market.wallets[USER], { amount, ...stranger }), "SessionProviderSignatureMismatch");

    const { modelId } = await read(market, "getBid", [bidId]);
    for (const signer of [SESSION_ONLY, STRANGER]) {
      const statsBefore = await read(market, "getProviderModelStats", [modelId, addr(PROVIDER)]);
      const sessionId = await openWith(bidId, PROVIDER);
      await closeWith(sessionId, signer);
      expect(await closeoutType(sessionId)).toBe(1n);
      const stats = await read(market, "getProviderModelStats", [modelId, addr(PROVIDER)]);
      expect(stats.successCount).toBe(statsBefore.successCount);
      expect(stats.totalCount).toBe(statsBefore.totalCount + 1);
    }
  });

  it("openSession / closeSession: owner() of a contract provider signs for it; anyone else's receipt is a dispute", async () => {
    const owner = market.wallets[CONTRACT_OWNER];
    const provider = await deployContractProvider({ rpcUrl: market.anvil.rpcUrl, owner: devAccounts[CONTRACT_OWNER] });
    const execute = async (target: Address, data: Hex) => {
      const hash = await owner.writeContract({ address: provider, abi: contractProviderAbi, functionName: "execute", args: [target, data], account: owner.account, chain: owner.chain });
      expect((await market.client.waitForTransactionReceipt({ hash })).status).toBe("success");
    };
    const diamondCall = (data: Parameters<typeof encodeFunctionData<typeof computeNodeAbi>>[0]) => execute(market.ctx.diamond, encodeFunctionData(data));

    // The owner funds the contract, which stakes, and bids on the delegated model.
    const transfer = await owner.writeContract({ address: market.ctx.mor, abi: erc20Abi, functionName: "transfer", args: [provider, parseEther("1000")], account: owner.account, chain: owner.chain });
    await market.client.waitForTransactionReceipt({ hash: transfer });
    await execute(market.ctx.mor, encodeFunctionData({ abi: erc20Abi, functionName: "approve", args: [market.ctx.diamond, maxUint256] }));
    await diamondCall({ abi: computeNodeAbi, functionName: "providerRegister", args: [provider, parseEther("500"), "contract.example:3333"] });
    const { modelId } = await registerModel(market.ctx, market.wallets[MODEL_OWNER], { name: "contract-provider-model", tags: [], stake: parseEther("0.1") });
    await diamondCall({ abi: computeNodeAbi, functionName: "postModelBid", args: [provider, modelId, price] });
    const bidId = await providerBid(provider);

    const sessionId = await openWith(bidId, CONTRACT_OWNER);
    await closeWith(sessionId, CONTRACT_OWNER);
    expect(await closeoutType(sessionId)).toBe(0n);
    expect(await read(market, "getProviderModelStats", [modelId, provider])).toMatchObject({ successCount: 1, totalCount: 1 });

    const disputed = await openWith(bidId, CONTRACT_OWNER);
    await closeWith(disputed, STRANGER);
    expect(await closeoutType(disputed)).toBe(1n);
    expect(await read(market, "getProviderModelStats", [modelId, provider])).toMatchObject({ successCount: 1, totalCount: 2 });

    await expectRevert(openSession(market.ctx, market.wallets[USER], { amount: await stakeFor(3600n), ...(await approvalFor(market, { bidId, signer: STRANGER, user: USER })) }), "SessionProviderSignatureMismatch");

    // Once owner() answers a word that is not an address, nobody but the provider signs for it: the
    // close is a dispute, not a revert (the live contract would revert and the user could not close).
    const open = await openWith(bidId, CONTRACT_OWNER);
    const notAnAddress = `0x7f${"ff".repeat(32)}60005260206000f3` as Hex; // returns 0xff…ff to any call
    await market.client.request({ method: "anvil_setCode", params: [provider, notAnAddress] } as never);
    await closeWith(open, CONTRACT_OWNER);
    expect(await closeoutType(open)).toBe(1n);
  });
});
