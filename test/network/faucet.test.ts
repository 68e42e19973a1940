// The local faucet: POST /api/faucet (the real route module) on a real anvil with the marketplace
// deployed. Funds arrive on-chain; a second claim by the same address is refused; so is a foreign
// or missing Origin; on any other network the route is a 404. LocalFaucet's global limit and its
// bounded memory of addresses are checked on the same chain.
import { erc20Abi, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { FAUCET_AMOUNTS, LocalFaucet } from "@/lib/chain/faucet";
import { Cleanup, startChain, type TestChain } from "../provider/fixture";

const cleanup = new Cleanup();
let chain: TestChain;
const SITE = "http://localhost:3000";

beforeAll(async () => {
  chain = await startChain(cleanup);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await cleanup.run();
});

function freshAddress(): Address {
  return privateKeyToAccount(generatePrivateKey()).address;
}

async function balances(address: Address): Promise<{ eth: bigint; mor: bigint }> {
  const [eth, mor] = await Promise.all([
    chain.client.getBalance({ address }),
    chain.client.readContract({ address: chain.deployed.mor, abi: erc20Abi, functionName: "balanceOf", args: [address] }),
  ]);
  return { eth, mor };
}

/** The route module as the server loads it, with the environment of `chain` (a fresh module: fresh limits). */
async function loadRoute(network: "local" | "base") {
  vi.stubEnv("CHAIN", network);
  vi.stubEnv("RPC_URL", chain.anvil.rpcUrl);
  vi.stubEnv("DIAMOND_ADDRESS", chain.deployed.diamond);
  vi.stubEnv("MOR_TOKEN_ADDRESS", chain.deployed.mor);
  vi.resetModules();
  return import("@/app/api/faucet/route");
}

function post(body: unknown, origin: string | null = SITE): Request {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (origin !== null) headers.origin = origin;
  return new Request(`${SITE}/api/faucet`, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
}

describe("POST /api/faucet on the local chain", () => {
  let route: Awaited<ReturnType<typeof loadRoute>>;
  beforeAll(async () => {
    route = await loadRoute("local");
  });

  it("sends test ETH and MOR that arrive on-chain", async () => {
    const address = freshAddress();
    expect(await balances(address)).toEqual({ eth: 0n, mor: 0n });
    const response = await route.POST(post({ address: address.toLowerCase() }));
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({ address, eth: "10", mor: "100" });
    expect(body.ethTx).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await balances(address)).toEqual({ eth: FAUCET_AMOUNTS.eth, mor: FAUCET_AMOUNTS.mor });
  });

  it("refuses a second claim by the same address with 429 and Retry-After, and sends nothing", async () => {
    const address = freshAddress();
    expect((await route.POST(post({ address }))).status).toBe(200);
    const again = await route.POST(post({ address }));
    expect(again.status).toBe(429);
    expect(Number(again.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await again.json()).error.message).toMatch(/recently/);
    expect(await balances(address)).toEqual({ eth: FAUCET_AMOUNTS.eth, mor: FAUCET_AMOUNTS.mor });
  });

  it("refuses a foreign or missing Origin with 403", async () => {
    const address = freshAddress();
    for (const origin of ["https://evil.example", "http://localhost:3001", null]) {
      const response = await route.POST(post({ address }, origin));
      expect(response.status).toBe(403);
    }
    expect(await balances(address)).toEqual({ eth: 0n, mor: 0n });
  });

  it("refuses malformed and oversized requests with 400", async () => {
    expect((await route.POST(post({ address: "0x1234" }))).status).toBe(400);
    expect((await route.POST(post({ address: `0x${"0".repeat(40)}` }))).status).toBe(400);
    expect((await route.POST(post({ wallet: freshAddress() }))).status).toBe(400);
    expect((await route.POST(post("not json"))).status).toBe(400);
    expect((await route.POST(post({ address: freshAddress(), pad: "x".repeat(2000) }))).status).toBe(400); // over 1 KiB
  });
});

describe("POST /api/faucet on another network", () => {
  it("is a 404 and sends nothing", async () => {
    const route = await loadRoute("base");
    const address = freshAddress();
    const response = await route.POST(post({ address }));
    expect(response.status).toBe(404);
    expect(await balances(address)).toEqual({ eth: 0n, mor: 0n });
  });
});

describe("LocalFaucet limits", () => {
  it("refuses claims beyond the global limit per minute, then admits them a minute later", async () => {
    let now = 1_000_000;
    const faucet = new LocalFaucet(chain.ctx, { perAddressMs: 600_000, globalPerMinute: 2, maxAddresses: 100, deadlineMs: 30_000 }, () => now);
    expect((await faucet.claim(freshAddress())).ok).toBe(true);
    expect((await faucet.claim(freshAddress())).ok).toBe(true);
    const third = freshAddress();
    expect(await faucet.claim(third)).toMatchObject({ ok: false, reason: "rate_limited", message: expect.stringMatching(/busy/) });
    now += 60_000;
    expect((await faucet.claim(third)).ok).toBe(true);
  });

  it("remembers at most maxAddresses addresses, forgetting the oldest claim first", async () => {
    const now = 5_000_000;
    const faucet = new LocalFaucet(chain.ctx, { perAddressMs: 600_000, globalPerMinute: 100, maxAddresses: 2, deadlineMs: 30_000 }, () => now);
    const [a, b, c] = [freshAddress(), freshAddress(), freshAddress()];
    for (const address of [a, b, c]) expect((await faucet.claim(address)).ok).toBe(true);
    expect((await faucet.claim(c)).ok).toBe(false); // still remembered
    expect((await faucet.claim(a)).ok).toBe(true); // forgotten to stay within the bound
  });

  it("refuses to run on a chain other than anvil's", async () => {
    const faucet = new LocalFaucet({ ...chain.ctx, client: { ...chain.client, getChainId: async () => 8453 } as typeof chain.client });
    await expect(faucet.claim(freshAddress())).rejects.toThrow(/only runs on the local chain/);
  });
});
