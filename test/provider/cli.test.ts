// The provider CLI (`npm run provider -- …`, scripts/provider.ts) run for real against the test
// anvil by a fresh account: register, model, bid, status, unbid, deregister, each checked on-chain;
// and bad input that must exit non-zero with a clear message before any transaction is sent.
import { parseEther, type Address, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccounts, devPrivateKey } from "@/lib/chain/anvil";
import { getBid, getModel, getProvider } from "@/lib/chain/reads";
import { walletFor } from "@/lib/chain/writes";
import { postBidCommand, ProviderCommandError, registerProviderCommand } from "@/lib/provider";
import { Cleanup, cliEnv, type CliEnv, modelIdFor, morBalance, runCli, startChain, startProviderProcess, type TestChain } from "./fixture";

const FRESH = 5;
const OTHER = 6;
const IN_PROCESS = 7;
const cleanup = new Cleanup();
let chain: TestChain;
const fresh = devAccounts[FRESH];

beforeAll(async () => {
  chain = await startChain(cleanup);
});
afterAll(() => cleanup.run());

const envFor = (index: number) => cliEnv(chain, { PROVIDER_PRIVATE_KEY: devPrivateKey(devAccounts[index]) });
const nonce = (address: Address) => chain.client.getTransactionCount({ address });
/** The 0x-prefixed 32-byte ids the CLI prints on lines of their own. */
const idLines = (stdout: string) => stdout.split("\n").filter((line): line is Hex => /^0x[0-9a-f]{64}$/.test(line));

/** Runs a command that must fail, and checks it sent nothing from `account`. */
async function expectRefused(args: string[], env: CliEnv, account: Address, message: string | RegExp) {
  const before = await nonce(account);
  const result = await runCli(args, env);
  expect(result.code, result.stdout + result.stderr).toBe(1);
  expect(result.stderr).toMatch(message);
  expect(await nonce(account)).toBe(before);
}

describe("a fresh account through the whole provider life cycle", () => {
  let modelId: Hex;
  let bidId: Hex;
  let balanceAtStart: bigint;

  it("register --endpoint 127.0.0.1:4444 --stake 1", async () => {
    balanceAtStart = await morBalance(chain, fresh.address);
    const result = await runCli(["register", "--endpoint", "127.0.0.1:4444", "--stake", "1"], envFor(FRESH));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`registered ${fresh.address} at 127.0.0.1:4444, stake now 1 MOR (tx 0x`);
    expect(await getProvider(chain.ctx, fresh.address)).toMatchObject({ endpoint: "127.0.0.1:4444", stake: parseEther("1"), isDeleted: false });
  });

  it("model --name x --tags a,b prints the model id", async () => {
    const result = await runCli(["model", "--name", "x", "--tags", "a,b"], envFor(FRESH));
    expect(result.code, result.stderr).toBe(0);
    [modelId] = idLines(result.stdout);
    expect(idLines(result.stdout)).toEqual([modelIdFor(FRESH, "x")]);
    expect(await getModel(chain.ctx, modelId)).toMatchObject({ name: "x", tags: ["a", "b"], owner: fresh.address, stake: parseEther("0.1"), isDeleted: false });
  });

  it("bid --model <id> --price 0.36 prints the bid id", async () => {
    const result = await runCli(["bid", "--model", modelId, "--price", "0.36"], envFor(FRESH));
    expect(result.code, result.stderr).toBe(0);
    [bidId] = idLines(result.stdout);
    expect(idLines(result.stdout)).toHaveLength(1);
    expect(result.stdout).toContain("bid on x at 0.36 MOR/h posted, fee 0.3 MOR");
    expect(await getBid(chain.ctx, bidId)).toMatchObject({ provider: fresh.address, modelId, pricePerSecond: 10n ** 14n, deletedAt: 0n });
  });

  it("status shows the registration and the bid; a price below the minimum is refused", async () => {
    const [status] = await Promise.all([
      runCli(["status"], envFor(FRESH)),
      // 0.001 MOR/h is below the local minimum of 1e12 wei/s (0.0036 MOR/h).
      expectRefused(["bid", "--model", modelId, "--price", "0.001"], envFor(FRESH), fresh.address, /price must be between 0\.0036 MOR\/h and .* got 0\.0009999 MOR\/h/),
    ]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`provider  ${fresh.address}`);
    expect(status.stdout).toContain("endpoint  127.0.0.1:4444");
    expect(status.stdout).toContain("stake     1 MOR");
    expect(status.stdout).toContain(`  ${bidId}  x (${modelId})  0.36 MOR/h`);
  });

  it("unbid --bid <id> deletes the bid", async () => {
    const result = await runCli(["unbid", "--bid", bidId], envFor(FRESH));
    expect(result.code, result.stderr).toBe(0);
    expect((await getBid(chain.ctx, bidId)).deletedAt).toBeGreaterThan(0n);
  });

  it("deregister returns the stake", async () => {
    const result = await runCli(["deregister"], envFor(FRESH));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("deleted 0 active bid(s) and deregistered");
    expect(await getProvider(chain.ctx, fresh.address)).toMatchObject({ isDeleted: true, stake: 0n });
    // Back to where it started but for the model stake (still registered) and the bid fee.
    expect(await morBalance(chain, fresh.address)).toBe(balanceAtStart - parseEther("0.1") - parseEther("0.3"));
  });
});

// Concurrent: independent accounts, and each CLI start is seconds of module loading.
describe.concurrent("bad input: a clear message, exit code 1, no transaction", () => {
  const other = devAccounts[OTHER];

  it("no PROVIDER_PRIVATE_KEY", async () => {
    const result = await runCli(["register", "--endpoint", "127.0.0.1:4444", "--stake", "1"], cliEnv(chain, {}));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("PROVIDER_PRIVATE_KEY is not set");
  });

  it("a malformed endpoint", async () => {
    await expectRefused(["register", "--endpoint", "http://127.0.0.1:4444", "--stake", "1"], envFor(OTHER), other.address, /endpoint must be host:port with no scheme/);
    expect((await getProvider(chain.ctx, other.address)).createdAt).toBe(0n);
  });

  // The same checks the CLI runs, in-process: a CLI start costs seconds of CPU.
  it("endpoints no consumer can dial, and bids on a model that does not exist", async () => {
    const account = devAccounts[IN_PROCESS];
    const wallet = walletFor(chain.ctx, account);
    const before = await nonce(account.address);
    for (const endpoint of ["127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1", "host:port", "[::1]80"]) {
      await expect(registerProviderCommand(chain.ctx, wallet, { endpoint, stake: parseEther("1") })).rejects.toThrow(ProviderCommandError);
    }
    expect(await nonce(account.address)).toBe(before);
    // The edges of the port range are fine (the second call re-registers: a top-up and a new endpoint).
    await registerProviderCommand(chain.ctx, wallet, { endpoint: "127.0.0.1:1", stake: parseEther("1") });
    await registerProviderCommand(chain.ctx, wallet, { endpoint: "[::1]:65535", stake: parseEther("1") });
    expect(await getProvider(chain.ctx, account.address)).toMatchObject({ endpoint: "[::1]:65535", stake: parseEther("2") });
    const missing: Hex = `0x${"11".repeat(32)}`;
    await expect(postBidCommand(chain.ctx, wallet, { modelId: missing, pricePerSecond: 10n ** 14n })).rejects.toThrow(`no active model ${missing} on this chain`);
  });
});

describe("serve --config <the Go node's example models-config.json>", () => {
  it.each(["current-upstream-example.json", "legacy-upstream-example.json"])("%s: starts, says per model what it serves", async (file) => {
    const served = await startProviderProcess(cleanup, {
      ...envFor(IN_PROCESS),
      MODELS_CONFIG_PATH: `lib/provider/testdata/models-config/${file}`,
    });
    const output = served.output();
    expect(output).toContain(`serving 0x${"0".repeat(64)} (llama2, openai)`);
    expect(output).toContain(`cannot serve 0x${"0".repeat(63)}1 (v1-5-pruned-emaonly.safetensors [d7049739], prodia-sd): apiType "prodia-sd" (image generation) is served by the Go node only`);
    expect(output).toContain("→ llama2 at http://localhost:8080/…");
    served.child.kill("SIGTERM");
    await served.exited;
  });
});
