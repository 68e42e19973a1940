// The consumer against a provider that answers as the Go proxy-router does (issue 12): approvals
// with millisecond timestamps and 5-field (160-byte) receipts of Go providers up to v5.9.0, on the
// real contracts. The provider here is a MOR-RPC server scripted with the dev provider's key.
import { encodeAbiParameters, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccounts, devPrivateKey } from "@/lib/chain/anvil";
import { getSession } from "@/lib/chain/reads";
import { closeProviderSession, openProviderSession, SessionOpenError, type Consumer, type SessionOffer } from "@/lib/consumer";
import {
  createSessionResult,
  decodeParams,
  decodeReport,
  encodeResult,
  hexToBytes,
  signResult,
  startMorRpcServer,
  type MorRpcServer,
} from "@/lib/morrpc";
import { keccak256Bytes, signPersonalHash } from "@/lib/morrpc/signing";
import { Cleanup, consumerFor, PRICE, seedProvider, startChain, type TestChain } from "./fixture";

const PROVIDER = 6;
const providerKey = hexToBytes(devPrivateKey(devAccounts[PROVIDER]));
const cleanup = new Cleanup();
let chain: TestChain;
let consumer: Consumer;
let offer: SessionOffer;
/** How the scripted provider stamps its next approval. */
let approvalTime: () => Promise<bigint>;

/** Go's receipt before v5.9.0: sessionId, chainId, timestamp (ms), tpsScaled1000, ttftMs, signed like any receipt. */
function fiveFieldReceipt(sessionId: Hex): { report: Hex; signedReport: Hex } {
  const report = encodeAbiParameters(
    [{ type: "bytes32" }, { type: "uint256" }, { type: "uint128" }, { type: "uint32" }, { type: "uint32" }],
    [sessionId, 31337n, BigInt(Date.now()), 12_000, 350],
  );
  return { report, signedReport: signPersonalHash(keccak256Bytes(hexToBytes(report)), providerKey) };
}

beforeAll(async () => {
  chain = await startChain(cleanup);
  const server: MorRpcServer = await startMorRpcServer({
    host: "127.0.0.1",
    port: 0,
    onError: () => {},
    handle: async (request, connection) => {
      if (request.method === "session.request") {
        const params = decodeParams("session.request", request.params);
        const approval = { bidId: params.bidId, chainId: 31337n, user: params.user, timestamp: await approvalTime() };
        await connection.send(encodeResult("session.request", request.id, createSessionResult(approval, providerKey)));
      } else if (request.method === "session.report") {
        const params = decodeParams("session.report", request.params);
        const receipt = fiveFieldReceipt(params.sessionId as Hex);
        await connection.send(encodeResult("session.report", request.id, signResult("session.report", { ...receipt, timestamp: Date.now() }, providerKey)));
      }
    },
  });
  cleanup.add(() => server.close(100));
  const endpoint = `127.0.0.1:${server.port}`;
  const { bidId } = await seedProvider(chain, { providerIndex: PROVIDER, endpoint, name: "go-shaped" });
  offer = { bidId, provider: devAccounts[PROVIDER].address, endpoint, pricePerSecond: PRICE };
  consumer = await consumerFor(chain, 7);
});
afterAll(() => cleanup.run());

const chainTime = async () => (await chain.client.getBlock({ blockTag: "latest" })).timestamp;

describe("a Go provider's approvals and receipts", () => {
  it("a millisecond approval (as the Go node writes) opens a session, and a 160-byte receipt closes it without a dispute", async () => {
    approvalTime = async () => BigInt(Date.now());
    const session = await openProviderSession(consumer, offer, { durationSeconds: 600n });
    expect((await getSession(chain.ctx, session.sessionId)).closedAt).toBe(0n);

    const closed = await closeProviderSession(consumer, session);
    expect(closed).toMatchObject({ disputed: false });
    const onChain = await getSession(chain.ctx, session.sessionId);
    expect(onChain.closedAt).toBeGreaterThan(0n);
    expect(onChain.closeoutType).toBe(0n); // the provider's receipt, not a dispute

    const { report } = fiveFieldReceipt(session.sessionId);
    expect(hexToBytes(report)).toHaveLength(160);
    expect(decodeReport(report)).toMatchObject({ sessionId: session.sessionId, tpsScaled1000: 12_000, ttftMs: 350, inputTokens: 0, outputTokens: 0 });
  });

  it("an approval in seconds past the contract's 10-minute TTL is refused before any transaction", async () => {
    approvalTime = async () => (await chainTime()) - 700n;
    const nonce = await chain.client.getTransactionCount({ address: consumer.account.address });
    await expect(openProviderSession(consumer, offer, { durationSeconds: 600n })).rejects.toThrow(SessionOpenError);
    await expect(openProviderSession(consumer, offer, { durationSeconds: 600n })).rejects.toThrow(/approval expired/);
    expect(await chain.client.getTransactionCount({ address: consumer.account.address })).toBe(nonce);
  });

  it("an approval in seconds within the TTL opens", async () => {
    approvalTime = async () => (await chainTime()) - 60n;
    await expect(openProviderSession(consumer, offer, { durationSeconds: 600n })).resolves.toMatchObject({ provider: offer.provider });
  });
});
