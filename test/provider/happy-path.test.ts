// A session's whole life between the real consumer client and the real provider node over TCP,
// on a real anvil: ping, session.request + openSession, a streamed and a whole chat completion
// and embeddings (decrypted and checked), session.report + closeSession, then the on-chain stats
// and the provider's pay, for a stake-funded session and for a direct-payment one.
import { decodeAbiParameters, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccounts, increaseTime } from "@/lib/chain/anvil";
import { computeNodeAbi } from "@/lib/chain/contracts.generated";
import { getProviderModelStats, getSession, getUserStakesOnHold } from "@/lib/chain/reads";
import { closeProviderSession, openProviderSession, promptSession, type Consumer, type OpenedSession, type SessionOffer } from "@/lib/consumer";
import { decodeReport, pingProvider, type SessionReport } from "@/lib/morrpc";
import { countPromptTokens, countTokens } from "@/lib/provider/tokens";
import {
  CHAT,
  Cleanup,
  collect,
  consumerFor,
  dataOf,
  modelIdFor,
  modelsConfig,
  morBalance,
  PRICE,
  seedProvider,
  startChain,
  startDemo,
  startProvider,
  streamedText,
  type InProcessProvider,
  type TestChain,
} from "./fixture";

const PROVIDER = 1;
const cleanup = new Cleanup();
const provider = devAccounts[PROVIDER];
let chain: TestChain;
let node: InProcessProvider;
let offer: SessionOffer;
let modelId: Hex;

beforeAll(async () => {
  chain = await startChain(cleanup);
  const demo = await startDemo(cleanup);
  modelId = modelIdFor(PROVIDER, "happy-model");
  node = await startProvider(cleanup, chain, { providerIndex: PROVIDER, models: modelsConfig([{ modelId, url: demo.url }]) });
  const { bidId } = await seedProvider(chain, { providerIndex: PROVIDER, endpoint: node.endpoint, name: "happy-model" });
  offer = { bidId, provider: provider.address, endpoint: node.endpoint, pricePerSecond: PRICE };
});
afterAll(() => cleanup.run());

/** What the provider reported for the session: its receipt as stored on-chain at close. */
async function closedReport(sessionId: Hex): Promise<SessionReport & { closeoutType: bigint; openedAt: bigint; closedAt: bigint }> {
  const session = await getSession(chain.ctx, sessionId);
  return { ...decodeReport(session.closeoutReceipt), closeoutType: session.closeoutType, openedAt: session.openedAt, closedAt: session.closedAt };
}

describe("a stake-funded session", () => {
  let consumer: Consumer;
  let session: OpenedSession;
  const usage = { input: 0, output: 0 };

  beforeAll(async () => {
    consumer = await consumerFor(chain, 2);
  });

  it("pings the provider (pong signed by the bid's provider)", async () => {
    const pong = await pingProvider(offer.endpoint, offer.provider, consumer);
    expect(pong.version).toBe("v0.1.0-ts");
  });

  it("opens a session on-chain with the provider's approval", async () => {
    session = await openProviderSession(consumer, offer, { durationSeconds: 600n });
    const onChain = await getSession(chain.ctx, session.sessionId);
    expect(onChain).toMatchObject({ user: consumer.account.address, bidId: offer.bidId, stake: session.stake, isActive: true, isDirectPaymentFromUser: false });
    expect(onChain.endsAt - onChain.openedAt).toBeGreaterThanOrEqual(600n);
  });

  it("streams a chat completion: decrypted chunks, provider usage on the final chunk, then [DONE]", async () => {
    const replies = await collect(promptSession(consumer, session, { ...CHAT, stream: true }));
    const last = replies.at(-1)!.reply;
    expect(last).toEqual({ done: true });
    const chunks = dataOf(replies);
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) expect(chunk.object).toBe("chat.completion.chunk");
    const text = streamedText(replies);
    expect(text).toMatch(/^Demo reply to "Hello from the provider tests <&>"/);
    const final = chunks.at(-1)!;
    expect((final.choices as Array<{ finish_reason: unknown }>)[0].finish_reason).toBe("stop");
    const expected = { prompt_tokens: countPromptTokens(CHAT.messages), completion_tokens: countTokens(text) };
    expect(final.usage_from_provider).toEqual({ ...expected, total_tokens: expected.prompt_tokens + expected.completion_tokens });
    // Only the final chunk carries it.
    expect(chunks.slice(0, -1).every((c) => c.usage_from_provider === undefined)).toBe(true);
    usage.input += expected.prompt_tokens;
    usage.output += expected.completion_tokens;
  });

  it("gets a whole chat completion with provider usage", async () => {
    const replies = await collect(promptSession(consumer, session, CHAT));
    expect(replies).toHaveLength(1);
    const [completion] = dataOf(replies);
    expect(completion.object).toBe("chat.completion");
    const text = (completion.choices as Array<{ message: { content: string } }>)[0].message.content;
    expect(text).toMatch(/^Demo reply to "Hello from the provider tests <&>"/);
    const expected = { prompt_tokens: countPromptTokens(CHAT.messages), completion_tokens: countTokens(text) };
    expect(completion.usage_from_provider).toEqual({ ...expected, total_tokens: expected.prompt_tokens + expected.completion_tokens });
    usage.input += expected.prompt_tokens;
    usage.output += expected.completion_tokens;
  });

  it("gets embeddings", async () => {
    const input = ["first text", "second text"];
    const replies = await collect(promptSession(consumer, session, { type: "embeddings", input, dimensions: 8 }));
    expect(replies).toHaveLength(1);
    const [response] = dataOf(replies);
    expect(response.object).toBe("list");
    const data = response.data as Array<{ index: number; embedding: number[] }>;
    expect(data.map((d) => d.index)).toEqual([0, 1]);
    for (const d of data) expect(d.embedding).toHaveLength(8);
    usage.input += countTokens(input[0]) + countTokens(input[1]);
  });

  it("closes with the provider-signed receipt: stats recorded, provider paid from the funding account", async () => {
    await increaseTime(chain.anvil.rpcUrl, 120); // a payout worth checking
    const [providerBefore, fundingBefore] = await Promise.all([morBalance(chain, provider.address), morBalance(chain, chain.deployed.fundingAccount)]);

    const closed = await closeProviderSession(consumer, session);
    expect(closed).toEqual({ closeTxHash: expect.stringMatching(/^0x/), disputed: false });

    const report = await closedReport(session.sessionId);
    expect(report.closeoutType).toBe(0n);
    expect(report.sessionId).toBe(session.sessionId);
    expect(report.chainId).toBe(31337n);
    // The provider's counts for the three prompts: what its usage_from_provider said, plus the embedding input.
    expect(report.inputTokens).toBe(usage.input);
    expect(report.outputTokens).toBe(usage.output);
    expect(report.tpsScaled1000).toBeGreaterThan(0);
    expect(report.ttftMs).toBeGreaterThanOrEqual(0);

    const stats = await getProviderModelStats(chain.ctx, modelId, provider.address);
    expect(stats).toMatchObject({ successCount: 1, totalCount: 1, totalDuration: Number(report.closedAt - report.openedAt) });
    expect(stats.tpsScaled1000.mean).toBe(BigInt(report.tpsScaled1000));
    expect(stats.ttftMs.mean).toBe(BigInt(report.ttftMs));

    // Early close, signed by the provider: paid (closedAt - openedAt) * price, at once, by the funding account.
    const paid = (report.closedAt - report.openedAt) * PRICE;
    expect(report.closedAt - report.openedAt).toBeGreaterThanOrEqual(120n);
    expect(await morBalance(chain, provider.address)).toBe(providerBefore + paid);
    expect(await morBalance(chain, chain.deployed.fundingAccount)).toBe(fundingBefore - paid);
    expect((await getSession(chain.ctx, session.sessionId)).providerWithdrawnAmount).toBe(paid);
    firstReport = report;
  });
});

let firstReport: SessionReport | undefined;

describe("a direct-payment session", () => {
  it("pays the provider from the user's stake and updates the running stats", async () => {
    expect(firstReport, "runs after the stake-funded session").toBeDefined();
    const consumer = await consumerFor(chain, 3);
    const user = consumer.account.address;
    const [userBefore, holdBefore] = [await morBalance(chain, user), (await getUserStakesOnHold(chain.ctx, user)).hold];

    const session = await openProviderSession(consumer, offer, { durationSeconds: 900n, directPayment: true });
    // Sized as the live contract sizes every session: the stipend of the stake buys the 900 s.
    const onChain = await getSession(chain.ctx, session.sessionId);
    expect(onChain).toMatchObject({ isDirectPaymentFromUser: true, stake: session.stake });
    expect(session.stake).toBeGreaterThan(PRICE * 900n);
    expect(onChain.endsAt - onChain.openedAt).toBeGreaterThanOrEqual(900n);
    expect(onChain.endsAt - onChain.openedAt).toBeLessThan(910n);

    const replies = await collect(promptSession(consumer, session, { ...CHAT, stream: true }));
    expect(replies.at(-1)!.reply).toEqual({ done: true });

    await increaseTime(chain.anvil.rpcUrl, 60);
    const [providerBefore, fundingBefore] = await Promise.all([morBalance(chain, provider.address), morBalance(chain, chain.deployed.fundingAccount)]);
    expect(await closeProviderSession(consumer, session)).toMatchObject({ disputed: false });

    const report = await closedReport(session.sessionId);
    const paid = (report.closedAt - report.openedAt) * PRICE;
    expect(await morBalance(chain, provider.address)).toBe(providerBefore + paid);
    expect(await morBalance(chain, chain.deployed.fundingAccount)).toBe(fundingBefore); // not from emissions
    // The user paid exactly the provider's pay; the part of the stake backing today's usage waits on hold.
    const holdAdded = (await getUserStakesOnHold(chain.ctx, user)).hold - holdBefore;
    expect(await morBalance(chain, user)).toBe(userBefore - paid - holdAdded);
    expect(holdAdded).toBeLessThan(session.stake - paid);

    // Running means over the two receipts, as the contract's LibSD computes them (truncating division).
    const stats = await getProviderModelStats(chain.ctx, modelId, provider.address);
    expect(stats).toMatchObject({ successCount: 2, totalCount: 2 });
    const runningMean = (first: number, second: number) => BigInt(first) + (BigInt(second) - BigInt(first)) / 2n;
    expect(stats.tpsScaled1000.mean).toBe(runningMean(firstReport!.tpsScaled1000, report.tpsScaled1000));
    expect(stats.ttftMs.mean).toBe(runningMean(firstReport!.ttftMs, report.ttftMs));
  });
});

it("decodes the 7-field receipt the contract stored", async () => {
  // Guard against a receipt format drift: the stored bytes are the Go provider's 224-byte encoding.
  const closed = await chain.client.getContractEvents({ address: chain.deployed.diamond, abi: computeNodeAbi, eventName: "SessionClosed", fromBlock: 0n });
  const sessionIds = closed.map((l) => l.args.sessionId!);
  expect(sessionIds).toHaveLength(2);
  for (const id of sessionIds) {
    const { closeoutReceipt } = await getSession(chain.ctx, id);
    expect((closeoutReceipt.length - 2) / 2).toBe(224);
    const [decodedId] = decodeAbiParameters([{ type: "bytes32" }], closeoutReceipt);
    expect(decodedId).toBe(id);
  }
});
