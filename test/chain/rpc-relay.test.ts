// The browser's same-origin chain relay (/api/chain/rpc) against a real anvil: reads pass,
// anything that signs, sends or holds node state is refused, and bodies and batches are bounded.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAnvil, type Anvil } from "@/lib/chain/anvil";

const site = "http://portal.test:3000";
let anvil: Anvil;
let relay: (request: Request) => Promise<Response>;

beforeAll(async () => {
  anvil = await startAnvil({ silent: true });
  Object.assign(process.env, { CHAIN: "local", RPC_URL: anvil.rpcUrl, APP_ORIGIN: "" });
  relay = (await import("@/app/api/chain/rpc/route")).POST;
});
afterAll(() => anvil?.stop());

function rpc(body: unknown, headers: Record<string, string> = {}) {
  return relay(new Request(`${site}/api/chain/rpc`, { method: "POST", headers: { origin: site, "content-type": "application/json", ...headers }, body: JSON.stringify(body) }));
}

describe("chain relay", () => {
  it("forwards read calls, single and batched", async () => {
    expect(await (await rpc({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] })).json()).toEqual({ jsonrpc: "2.0", id: 1, result: "0x7a69" });
    const batch = (await (await rpc([{ jsonrpc: "2.0", id: 1, method: "eth_blockNumber" }, { jsonrpc: "2.0", id: 2, method: "eth_getBalance", params: ["0x" + "00".repeat(20), "latest"] }])).json()) as Array<{ id: number; result: string }>;
    expect(batch.map((reply) => reply.id).sort()).toEqual([1, 2]);
  });

  it("refuses methods that sign, send or change the node (-32601), keeping the others of a batch", async () => {
    for (const method of ["eth_sendRawTransaction", "eth_sendTransaction", "eth_sign", "anvil_setBalance", "eth_newFilter"]) {
      expect(await (await rpc({ jsonrpc: "2.0", id: 7, method, params: [] })).json()).toMatchObject({ id: 7, error: { code: -32601 } });
    }
    const mixed = (await (await rpc([{ jsonrpc: "2.0", id: 1, method: "eth_chainId" }, { jsonrpc: "2.0", id: 2, method: "anvil_mine" }])).json()) as Array<{ id: number }>;
    expect(mixed).toEqual([{ jsonrpc: "2.0", id: 1, result: "0x7a69" }, expect.objectContaining({ id: 2, error: expect.objectContaining({ code: -32601 }) })]);
  });

  it("bounds batches and bodies, and serves only its own origin", async () => {
    const call = { jsonrpc: "2.0", id: 1, method: "eth_chainId" };
    expect((await rpc(Array.from({ length: 21 }, () => call))).status).toBe(400);
    expect((await rpc({ ...call, params: ["x".repeat(70_000)] })).status).toBe(400);
    expect((await rpc(call, { origin: "https://evil.example" })).status).toBe(403);
  });
});
