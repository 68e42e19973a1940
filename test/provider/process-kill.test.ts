// The provider node as the real CLI (`npm run provider -- serve`) in its own process, configured
// only through the environment, killed with SIGKILL in the middle of a streamed reply: the
// consumer must see an error, never a clean end, and the session then closes as a dispute.
import { afterAll, beforeAll, expect, it } from "vitest";
import { devAccounts, devPrivateKey } from "@/lib/chain/anvil";
import { getProviderModelStats, getSession } from "@/lib/chain/reads";
import { closeProviderSession, openProviderSession, promptSession } from "@/lib/consumer";
import { MorRpcError, pingProvider, type PromptReply } from "@/lib/morrpc";
import {
  CHAT,
  Cleanup,
  cliEnv,
  consumerFor,
  modelIdFor,
  modelsConfigJson,
  PRICE,
  seedProvider,
  startChain,
  startDemo,
  startProviderProcess,
  tempDir,
  type ProviderProcess,
  type TestChain,
} from "./fixture";

const PROVIDER = 4;
const cleanup = new Cleanup();
let chain: TestChain;
let serving: ProviderProcess;
let bidId: `0x${string}`;
const modelId = modelIdFor(PROVIDER, "killable");

beforeAll(async () => {
  chain = await startChain(cleanup);
  // Slow enough that the stream is still running when the kill lands (about 35 chunks).
  const demo = await startDemo(cleanup, { tokenDelayMs: 20 });
  serving = await startProviderProcess(
    cleanup,
    cliEnv(chain, {
      PROVIDER_PRIVATE_KEY: devPrivateKey(devAccounts[PROVIDER]),
      MODELS_CONFIG_CONTENT: JSON.stringify(modelsConfigJson([{ modelId, url: demo.url }])),
      DATA_DIR: tempDir(cleanup, "provider-kill-"),
    }),
  );
  ({ bidId } = await seedProvider(chain, { providerIndex: PROVIDER, endpoint: serving.endpoint, name: "killable" }));
});
afterAll(() => cleanup.run());

it("a provider killed mid-stream: the consumer's stream fails, the close is a dispute", async () => {
  const consumer = await consumerFor(chain, 2);
  const offer = { bidId, provider: devAccounts[PROVIDER].address, endpoint: serving.endpoint, pricePerSecond: PRICE };
  await pingProvider(serving.endpoint, offer.provider, consumer);
  const session = await openProviderSession(consumer, offer, { durationSeconds: 600n });

  const received: PromptReply[] = [];
  const outcome = await (async () => {
    for await (const reply of promptSession(consumer, session, { ...CHAT, stream: true })) {
      received.push(reply);
      if (received.length === 2) serving.child.kill("SIGKILL");
    }
  })().then(
    () => "ended cleanly",
    (error: unknown) => error,
  );
  await serving.exited;
  expect(serving.child.signalCode).toBe("SIGKILL");
  expect(outcome).toBeInstanceOf(MorRpcError);
  expect((outcome as MorRpcError).code).toBe("connection_closed");
  expect(received.length).toBeGreaterThanOrEqual(2);
  expect(received.some((r) => r.done)).toBe(false);

  // No provider to sign the receipt: the consumer closes with its own, which the contract records as a dispute.
  const closed = await closeProviderSession(consumer, session);
  expect(closed).toMatchObject({ disputed: true, disputeReason: expect.stringMatching(/ECONNREFUSED|connect/) });
  const onChain = await getSession(chain.ctx, session.sessionId);
  expect(onChain.closeoutType).toBe(1n);
  expect(onChain.closedAt).toBeGreaterThan(0n);
  const stats = await getProviderModelStats(chain.ctx, modelId, offer.provider);
  expect(stats).toMatchObject({ successCount: 0, totalCount: 1 });
});
