// Receipt timestamps against the real contract: the contract refuses a receipt once
// `block.timestamp > timestamp + 10 min`, in seconds (spec: compute-node-contracts.md, closeSession),
// so receipts carry the chain's time in seconds — a millisecond timestamp would never expire.
// The chain is moved an hour ahead of the wall clock, as anvil tests do, to tell chain time from ours.
import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccounts, increaseTime } from "@/lib/chain/anvil";
import { getSession } from "@/lib/chain/reads";
import { ChainWriteError } from "@/lib/chain/writes";
import { closeProviderSession, obtainCloseReceipt, openProviderSession, submitClose, type Consumer, type OpenedSession, type SessionOffer } from "@/lib/consumer";
import { decodeReport, fetchSessionReport } from "@/lib/morrpc";
import { Cleanup, consumerFor, modelIdFor, modelsConfig, PRICE, seedProvider, startChain, startDemo, startProvider, type TestChain } from "./fixture";

const PROVIDER = 4;
const cleanup = new Cleanup();
let chain: TestChain;
let consumer: Consumer;
let offer: SessionOffer;
let withProvider: OpenedSession;
let disputed: OpenedSession;

beforeAll(async () => {
  chain = await startChain(cleanup);
  const demo = await startDemo(cleanup);
  const modelId: Hex = modelIdFor(PROVIDER, "receipts-model");
  const node = await startProvider(cleanup, chain, { providerIndex: PROVIDER, models: modelsConfig([{ modelId, url: demo.url }]) });
  const { bidId } = await seedProvider(chain, { providerIndex: PROVIDER, endpoint: node.endpoint, name: "receipts-model" });
  offer = { bidId, provider: devAccounts[PROVIDER].address, endpoint: node.endpoint, pricePerSecond: PRICE };
  consumer = await consumerFor(chain, 5);
  // Both opened before the chain moves ahead.
  withProvider = await openProviderSession(consumer, offer, { durationSeconds: 3n * 3600n });
  disputed = await openProviderSession(consumer, offer, { durationSeconds: 3n * 3600n });
  await increaseTime(chain.anvil.rpcUrl, 3600);
});
afterAll(() => cleanup.run());

async function chainNow(): Promise<bigint> {
  return (await chain.client.getBlock({ blockTag: "latest" })).timestamp;
}

describe("receipt timestamps", () => {
  it("the provider's receipt carries chain time in seconds, and the contract refuses it once older than 10 minutes", async () => {
    const receipt = await fetchSessionReport(withProvider.endpoint, { sessionId: withProvider.sessionId, providerPubKey: withProvider.providerPubKey }, consumer);
    const now = await chainNow();
    const { timestamp } = decodeReport(receipt.report);
    expect(timestamp).toBeGreaterThanOrEqual(now - 5n);
    expect(timestamp).toBeLessThanOrEqual(now + 5n);

    await increaseTime(chain.anvil.rpcUrl, 601);
    const stale = await submitClose(consumer, receipt).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ChainWriteError);
    expect((stale as ChainWriteError).errorName).toBe("SessionReceiptExpired");

    // A fresh receipt closes the session, as the provider's (not a dispute).
    expect(await closeProviderSession(consumer, withProvider)).toMatchObject({ disputed: false });
    expect((await getSession(chain.ctx, withProvider.sessionId)).closeoutType).toBe(0n);
  });

  it("the consumer's own receipt (provider gone: a dispute) also carries chain time in seconds and closes the session", async () => {
    // Port 1 on loopback: nothing listens there, the dial is refused at once.
    const receipt = await obtainCloseReceipt(consumer, { ...disputed, endpoint: "127.0.0.1:1" });
    expect(receipt.disputed).toBe(true);
    const now = await chainNow();
    const { timestamp } = decodeReport(receipt.report);
    expect(timestamp).toBeGreaterThanOrEqual(now - 5n);
    expect(timestamp).toBeLessThanOrEqual(now + 5n);
    await submitClose(consumer, receipt);
    expect((await getSession(chain.ctx, disputed.sessionId)).closeoutType).toBe(1n);
  });

  it("with the chain an hour ahead of the wall clock a new session still opens: approvals carry chain time", async () => {
    const session = await openProviderSession(consumer, offer, { durationSeconds: 600n });
    expect((await getSession(chain.ctx, session.sessionId)).openedAt).toBeGreaterThan(BigInt(Math.floor(Date.now() / 1000)) + 3000n);
  });
});
