// Choosing and losing providers, through a running gateway: two provider nodes (two dev accounts,
// each with its own demo model) bid on the same model, one clearly better rated — a session
// closed with its receipt on record, against none for the other — though 50% dearer (so neither
// the catalog's cheapest-first order nor price alone would pick it); it is the one chosen.
// Killed, the next request fails over to the other, and the dead one is skipped from then on.
// And a provider node run as the real CLI in a child process, killed with SIGKILL in the middle
// of a stream: the SSE stream ends with an error event, which makes the openai SDK's iteration
// throw — never a clean end.
import OpenAI, { APIError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccounts, devPrivateKey } from "@/lib/chain/anvil";
import { getProviderModelStats, getSession } from "@/lib/chain/reads";
import { closeProviderSession, openProviderSession, promptSession } from "@/lib/consumer";
import {
  bidOnModel,
  CHAT,
  Cleanup,
  cliEnv,
  collect,
  consumerFor,
  createKey,
  eventually,
  modelIdFor,
  modelsConfig,
  modelsConfigJson,
  openaiFor,
  PRICE,
  seedProvider,
  showGatewayOutputOnFailure,
  startChain,
  startDatabase,
  startDemo,
  startGateway,
  startProvider,
  startProviderProcess,
  tempDir,
  usageRecord,
  type GatewayProcess,
  type InProcessProvider,
  type ProviderProcess,
  type TestChain,
  type TestDatabase,
} from "./fixture";

const [PLAIN, RATED, KILLABLE, OTHER_CONSUMER] = [3, 4, 5, 6];
const SHARED = "shared-chat";
const SLOW = "slow-chat";
const sharedModelId = modelIdFor(PLAIN, SHARED);
const slowModelId = modelIdFor(KILLABLE, SLOW);
const address = (index: number) => devAccounts[index].address.toLowerCase();

const cleanup = new Cleanup();
let chain: TestChain;
let database: TestDatabase;
let gateway: GatewayProcess;
let client: OpenAI;
let rated: InProcessProvider;
let killable: ProviderProcess;

beforeAll(async () => {
  chain = await startChain(cleanup);
  const [plainDemo, ratedDemo] = [await startDemo(cleanup), await startDemo(cleanup)];
  const plain = await startProvider(cleanup, chain, { providerIndex: PLAIN, models: modelsConfig([{ modelId: sharedModelId, url: plainDemo.url }]) });
  rated = await startProvider(cleanup, chain, { providerIndex: RATED, models: modelsConfig([{ modelId: sharedModelId, url: ratedDemo.url }]) });
  await seedProvider(chain, { providerIndex: PLAIN, endpoint: plain.endpoint, name: SHARED, price: PRICE });
  const ratedPrice = (3n * PRICE) / 2n;
  const ratedBid = await bidOnModel(chain, { providerIndex: RATED, endpoint: rated.endpoint, modelId: sharedModelId, price: ratedPrice });
  // Another consumer's session with the dearer provider, closed with its receipt: its on-chain
  // record (success 1 of 1) now outweighs the price (rating: success weight 0.32 over a base of 0.40).
  const consumer = await consumerFor(chain, OTHER_CONSUMER);
  const offer = { bidId: ratedBid, provider: devAccounts[RATED].address, endpoint: rated.endpoint, pricePerSecond: ratedPrice };
  const history = await openProviderSession(consumer, offer, { durationSeconds: 600n });
  await collect(promptSession(consumer, history, CHAT));
  expect(await closeProviderSession(consumer, history)).toMatchObject({ disputed: false });
  expect(await getProviderModelStats(chain.ctx, sharedModelId, devAccounts[RATED].address)).toMatchObject({ successCount: 1, totalCount: 1 });

  // About 35 chunks 25 ms apart: the stream is still running when the provider is killed.
  const slowDemo = await startDemo(cleanup, { tokenDelayMs: 25 });
  killable = await startProviderProcess(
    cleanup,
    cliEnv(chain, {
      PROVIDER_PRIVATE_KEY: devPrivateKey(devAccounts[KILLABLE]),
      MODELS_CONFIG_CONTENT: JSON.stringify(modelsConfigJson([{ modelId: slowModelId, url: slowDemo.url }])),
      DATA_DIR: tempDir(cleanup, "gateway-killable-provider-"),
    }),
  );
  await seedProvider(chain, { providerIndex: KILLABLE, endpoint: killable.endpoint, name: SLOW });

  database = await startDatabase(cleanup);
  // Dead providers here are gone for good: their sessions are disputed after the minimum tries, without a pause between them.
  gateway = await startGateway(cleanup, { chain, database, instanceId: "failover-tests", env: { GATEWAY_RECEIPT_GIVE_UP_SECONDS: "0" } });
  client = openaiFor(gateway, await createKey(database.db));
});
afterAll(() => cleanup.run());
showGatewayOutputOnFailure(() => [gateway]);

const messages = [{ role: "user" as const, content: "Which provider answers?" }];

/** Sends a chat completion (whole or streamed to its end) and returns its usage record. */
async function chat(model: string, stream = false) {
  if (!stream) {
    const { response } = await client.chat.completions.create({ model, messages }).withResponse();
    return usageRecord(database.db, response.headers.get("x-request-id"));
  }
  const { data, response } = await client.chat.completions.create({ model, messages, stream: true }).withResponse();
  for await (const chunk of data) expect(chunk.object).toBe("chat.completion.chunk");
  return usageRecord(database.db, response.headers.get("x-request-id"));
}

const sessionRows = (modelId: string) => database.db.gatewaySession.findMany({ where: { modelId }, orderBy: { createdAt: "asc" } });

describe("two providers of one model", () => {
  it("the better-rated provider serves, through one session", async () => {
    const records = [await chat(SHARED), await chat(SHARED, true), await chat(SHARED)];
    expect(records.map((r) => [r.status, r.providerAddress])).toEqual(Array(3).fill(["ok", address(RATED)]));
    // Back in the shared pool once no longer parked in the gateway.
    const [row, ...others] = await eventually(async () => {
      const rows = await sessionRows(sharedModelId);
      expect(rows[0]).toMatchObject({ state: "idle" });
      return rows;
    });
    expect(others).toEqual([]);
    expect(row).toMatchObject({ providerAddress: address(RATED), state: "idle", requestCount: 3 });
    expect(new Set(records.map((r) => r.sessionId))).toEqual(new Set([row.sessionId]));
  });

  it("killed, the next request fails over to the other provider, and the dead one is skipped afterwards", async () => {
    await rated.node.close(0);

    const failedOver = await chat(SHARED);
    expect(failedOver).toMatchObject({ status: "ok", providerAddress: address(PLAIN) });
    const after = [await chat(SHARED, true), await chat(SHARED), await chat(SHARED, true)];
    expect(after.map((r) => [r.status, r.providerAddress, r.sessionId])).toEqual(Array(3).fill(["ok", address(PLAIN), failedOver.sessionId]));

    // One failed attempt on the dead provider (on its session), then none: it is in cooldown, so
    // no request claimed or opened another session with it.
    const rows = await sessionRows(sharedModelId);
    expect(rows.map((r) => r.providerAddress)).toEqual([address(RATED), address(PLAIN)]);
    expect(rows[0].requestCount, "the failed request is not counted on the dead provider's session").toBe(3);

    // Its session is closed without a receipt (nobody to sign one): a dispute on-chain.
    const dead = await eventually(
      async () => {
        const row = await database.db.gatewaySession.findUniqueOrThrow({ where: { id: rows[0].id } });
        expect(row.state).toBe("closed");
        return row;
      },
      { timeoutMs: 15_000 },
    );
    expect(dead.disputed).toBe(true);
    const onChain = await getSession(chain.ctx, dead.sessionId as `0x${string}`);
    expect(onChain.closedAt).toBeGreaterThan(0n);
    expect(onChain.closeoutType).toBe(1n);
    await eventually(async () => expect(await database.db.gatewaySession.findUniqueOrThrow({ where: { id: rows[1].id } })).toMatchObject({ state: "idle", requestCount: 4 }));
  });
});

describe("a provider killed mid-stream", () => {
  it("ends the SSE stream with an error event: the openai SDK's iteration throws", async () => {
    const { data: stream, response } = await client.chat.completions.create({ model: SLOW, messages, stream: true }).withResponse();
    const received: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    const outcome = await (async () => {
      for await (const chunk of stream) {
        received.push(chunk);
        if (received.length === 2) killable.child.kill("SIGKILL");
      }
    })().then(
      () => "ended cleanly",
      (error: unknown) => error,
    );
    await killable.exited;
    expect(killable.child.signalCode).toBe("SIGKILL");

    expect(outcome).toBeInstanceOf(APIError);
    const error = outcome as APIError;
    expect(error.error).toEqual({ message: "The provider failed mid-stream.", type: "upstream_error", param: null, code: "upstream_error" });
    expect(received.length).toBeGreaterThanOrEqual(2);
    expect(received.some((c) => c.choices[0]?.finish_reason)).toBe(false);

    const record = await usageRecord(database.db, response.headers.get("x-request-id"));
    expect(record).toMatchObject({ stream: true, status: "error", errorCode: "upstream_error", providerAddress: address(KILLABLE) });

    // The broken session is closed as a dispute (the provider cannot sign a receipt any more).
    const closed = await eventually(
      async () => {
        const [row, ...others] = await sessionRows(slowModelId);
        expect(others).toEqual([]);
        expect(row.state).toBe("closed");
        return row;
      },
      { timeoutMs: 15_000 },
    );
    expect(closed).toMatchObject({ disputed: true, sessionId: record.sessionId });
  });
});
