// What the provider node refuses, and what it survives, with the real consumer client (or hand-made
// MOR-RPC requests) over TCP against a real anvil: upstream failures, forged, replayed and
// misdirected prompts, bids it must not approve, capacity, one prompt at a time per session,
// garbage on its port, and expiry (last: it moves the chain clock).
import net from "node:net";
import { randomBytes } from "node:crypto";
import type { Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccounts, devPrivateKey, increaseTime } from "@/lib/chain/anvil";
import { getSessionEconomics, stakeForDuration } from "@/lib/chain/reads";
import { deleteBid, openSession, walletFor } from "@/lib/chain/writes";
import { closeProviderSession, openProviderSession, promptSession, type Consumer, type OpenedSession, type SessionOffer } from "@/lib/consumer";
import type { DemoModel } from "@/lib/demo-model";
import {
  decodeResult,
  encodeRequest,
  hexToBytes,
  newRequestId,
  openPromptResult,
  pingProvider,
  publicKeyFromPrivate,
  requestSessionApproval,
  sendRequest,
  signApproval,
  signParams,
  bytesToHex,
  type RpcResponse,
} from "@/lib/morrpc";
import {
  CHAT,
  Cleanup,
  collect,
  consumerFor,
  eventually,
  expectMorRpcError,
  modelIdFor,
  modelsConfig,
  PRICE,
  seedProvider,
  startChain,
  startDemo,
  startProvider,
  type InProcessProvider,
  type TestChain,
} from "./fixture";

const PROVIDER = 1;
const OTHER_PROVIDER = 3;
const cleanup = new Cleanup();
let chain: TestChain;
let provider: InProcessProvider;
let consumer: Consumer;
let downModel: DemoModel;
const bids: Record<"chat" | "slow" | "down" | "locked" | "single" | "retired" | "foreign", Hex> = {} as never;
/** One session on the chat model shared by the tests that only need some open session. */
let chatSession: OpenedSession;

function offer(bid: keyof typeof bids): SessionOffer {
  return { bidId: bids[bid], provider: devAccounts[PROVIDER].address, endpoint: provider.endpoint, pricePerSecond: PRICE };
}

beforeAll(async () => {
  chain = await startChain(cleanup);
  const [fast, slow, down, locked] = await Promise.all([
    startDemo(cleanup),
    startDemo(cleanup, { tokenDelayMs: 15 }),
    startDemo(cleanup),
    startDemo(cleanup, { apiKey: "right-key" }),
  ]);
  downModel = down;
  const id = (name: string) => modelIdFor(PROVIDER, name);
  provider = await startProvider(cleanup, chain, {
    providerIndex: PROVIDER,
    models: modelsConfig([
      { modelId: id("chat"), url: fast.url },
      { modelId: id("slow"), url: slow.url },
      { modelId: id("down"), url: down.url },
      { modelId: id("locked"), url: locked.url, apiKey: "wrong-key" },
      { modelId: id("single"), url: fast.url, concurrentSlots: 1 },
      { modelId: id("retired"), url: fast.url },
    ]),
  });
  for (const name of ["chat", "slow", "down", "locked", "single", "retired"] as const) {
    bids[name] = (await seedProvider(chain, { providerIndex: PROVIDER, endpoint: provider.endpoint, name })).bidId;
  }
  await deleteBid(chain.ctx, walletFor(chain.ctx, devAccounts[PROVIDER]), bids.retired);
  bids.foreign = (await seedProvider(chain, { providerIndex: OTHER_PROVIDER, endpoint: "127.0.0.1:9", name: "foreign" })).bidId;

  consumer = await consumerFor(chain, 2);
  chatSession = await openProviderSession(consumer, offer("chat"), { durationSeconds: 600n });
});
afterAll(() => cleanup.run());

/** session.prompt params for `sessionId` signed with `signerKey`, as wire bytes. */
function signedPrompt(sessionId: Hex, request: Record<string, unknown>, signerKey: Hex, timestamp = Date.now()): string {
  const params = signParams("session.prompt", { sessionId, prompt: JSON.stringify(request), timestamp }, hexToBytes(signerKey));
  return encodeRequest("session.prompt", newRequestId(), params);
}

async function exchange(wire: string): Promise<RpcResponse[]> {
  const responses: RpcResponse[] = [];
  for await (const response of sendRequest(provider.endpoint, wire)) responses.push(response);
  return responses;
}

async function expectStillServing() {
  await expect(pingProvider(provider.endpoint, devAccounts[PROVIDER].address, consumer)).resolves.toMatchObject({ version: "v0.1.0-ts" });
}

describe("upstream failures reach the consumer as protocol errors", () => {
  it("model down: provider_error 'failed to prompt: …'", async () => {
    const session = await openProviderSession(consumer, offer("down"), { durationSeconds: 600n });
    await downModel.close();
    await expectMorRpcError(collect(promptSession(consumer, session, { ...CHAT, stream: true })), "provider_error", /^failed to prompt: /);
    await expectMorRpcError(collect(promptSession(consumer, session, CHAT)), "provider_error", /^failed to prompt: /);
    await expectStillServing();
  });

  it("HTTP 401 from the model: upstream_error with the decrypted body in details", async () => {
    const session = await openProviderSession(consumer, offer("locked"), { durationSeconds: 600n });
    const body = { error: { message: "Incorrect API key provided to the demo model.", type: "invalid_request_error", param: null, code: "invalid_api_key" } };
    for (const request of [CHAT, { ...CHAT, stream: true }]) {
      const error = await expectMorRpcError(collect(promptSession(consumer, session, request)), "upstream_error", body.error.message);
      expect(error.details).toEqual(body);
    }
  });
});

describe("prompts the node must refuse", () => {
  it("signed by another key: 'user not found' for a stranger, 'invalid signature' for another known user", async () => {
    const stranger = signedPrompt(chatSession.sessionId, CHAT, devPrivateKey(devAccounts[8]));
    expect((await exchange(stranger)).map((r) => r.error?.message)).toEqual(["user not found"]);
    // Account 7 becomes a user the node knows (its key stored by its own session.request).
    await requestSessionApproval(provider.endpoint, { bidId: bids.chat, chainId: 31337n, spend: 1n }, await consumerFor(chain, 7));
    const wire = signedPrompt(chatSession.sessionId, CHAT, devPrivateKey(devAccounts[7]));
    const responses = await exchange(wire);
    expect(responses).toHaveLength(1);
    expect(responses[0].error?.message).toBe("invalid signature");
  });

  it("replayed (the same signed bytes again): refused, after the original was served", async () => {
    const wire = signedPrompt(chatSession.sessionId, CHAT, consumer.privateKey);
    const first = await exchange(wire);
    expect(first.every((r) => r.error === undefined)).toBe(true);
    const [result] = first.map((r) => decodeResult("session.prompt", r.result));
    expect(JSON.parse(openPromptResult(result, chatSession.providerPubKey, consumer.privateKey))).toMatchObject({ object: "chat.completion" });

    const again = await exchange(wire);
    expect(again).toHaveLength(1);
    expect(again[0].error?.message).toBe("invalid signature: replayed request");
  });

  it("for an unknown session id", async () => {
    const unknown = { ...chatSession, sessionId: bytesToHex(randomBytes(32)) };
    await expectMorRpcError(collect(promptSession(consumer, unknown, CHAT)), "provider_error", "session cannot be loaded: session not found");
  });

  it("for a session with another provider", async () => {
    // Opened on-chain with the other provider's own approval; then sent to this node.
    const approval = signApproval(
      { bidId: bids.foreign, chainId: 31337n, user: consumer.account.address, timestamp: (await chain.client.getBlock()).timestamp },
      devPrivateKey(devAccounts[OTHER_PROVIDER]),
    );
    const { sessionId } = await openSession(consumer.ctx, consumer.wallet, { amount: stakeForDuration(await getSessionEconomics(consumer.ctx), PRICE, 600n), ...approval, directPayment: true });
    await expectMorRpcError(
      collect(promptSession(consumer, { ...chatSession, sessionId }, CHAT)),
      "provider_error",
      "session cannot be loaded: the session is with another provider",
    );
  });
});

describe("session requests the node must refuse", () => {
  const ask = (bidId: Hex, who: Consumer = consumer) => requestSessionApproval(provider.endpoint, { bidId, chainId: 31337n, spend: 1n }, who);

  it("for a deleted bid, someone else's bid, or no bid at all", async () => {
    await expectMorRpcError(ask(bids.retired), "provider_error", `failed to get bid: bid ${bids.retired} is not active`);
    await expectMorRpcError(ask(bids.foreign), "provider_error", `failed to get bid: bid ${bids.foreign} belongs to another provider`);
    const none = bytesToHex(randomBytes(32));
    await expectMorRpcError(ask(none), "provider_error", `failed to get bid: bid ${none} not found`);
  });

  it("with a key that is not the user's: refused, and the user's own key stays in force", async () => {
    // An attacker signs with its own key but names the victim as `user`: approving it would
    // replace the victim's key, so the attacker could then prompt on the victim's sessions.
    const attacker = hexToBytes(devPrivateKey(devAccounts[9]));
    const params = signParams(
      "session.request",
      { user: consumer.account.address, key: bytesToHex(publicKeyFromPrivate(attacker, false)), spend: 1n, timestamp: Date.now(), bidId: bids.chat },
      attacker,
    );
    const responses = await exchange(encodeRequest("session.request", newRequestId(), params));
    expect(responses.map((r) => r.error?.message)).toEqual(["request validation failed: key is not the public key of user"]);

    // The attacker's key was not stored: to the node its prompt's signer is nobody it knows.
    const hijack = signedPrompt(chatSession.sessionId, CHAT, devPrivateKey(devAccounts[9]));
    expect((await exchange(hijack)).map((r) => r.error?.message)).toEqual(["user not found"]);
    const replies = await collect(promptSession(consumer, chatSession, CHAT));
    expect(replies).toHaveLength(1);
  });

  it("capacity: a model with one slot refuses a second session while one is open, and approves once it closes", async () => {
    const first = await openProviderSession(consumer, offer("single"), { durationSeconds: 600n });
    // The node learns of a new session from its SessionOpened watcher or the first prompt; the
    // prompt makes that deterministic here.
    await collect(promptSession(consumer, first, CHAT));
    const other = await consumerFor(chain, 4);
    await expectMorRpcError(ask(bids.single, other), "provider_error", "no capacity");

    expect(await closeProviderSession(consumer, first)).toMatchObject({ disputed: false });
    // The SessionClosed watcher frees the slot.
    const approval = await eventually(() => ask(bids.single, other));
    expect(approval.approvalSigner.toLowerCase()).toBe(devAccounts[PROVIDER].address.toLowerCase());
    // …and a closed session is no longer served.
    await expectMorRpcError(collect(promptSession(consumer, first, CHAT)), "provider_error", "session closed");
  });

  it("approvals asked for at the same moment are distinct, so both sessions open", async () => {
    const [a, b] = await Promise.all([ask(bids.chat), ask(bids.chat)]);
    expect(a.approval).not.toBe(b.approval);
    for (const approval of [a, b]) {
      await openSession(consumer.ctx, consumer.wallet, { amount: stakeForDuration(await getSessionEconomics(consumer.ctx), PRICE, 600n), approval: approval.approval, approvalSig: approval.approvalSig, directPayment: true });
    }
  });
});

it("serves one prompt at a time per session: the second starts after the first's [DONE]", async () => {
  const session = await openProviderSession(consumer, offer("slow"), { durationSeconds: 600n });
  const ask = (content: string) => collect(promptSession(consumer, session, { messages: [{ role: "user", content }], stream: true }));
  const [a, b] = await Promise.all([ask("first question"), ask("second question")]);
  for (const replies of [a, b]) expect(replies.at(-1)!.reply).toEqual({ done: true });
  const [earlier, later] = a.at(-1)!.at < b.at(-1)!.at ? [a, b] : [b, a];
  expect(later[0].at).toBeGreaterThanOrEqual(earlier.at(-1)!.at);

  // A consumer that walks away mid-stream must not keep the session locked.
  let chunks = 0;
  for await (const reply of promptSession(consumer, session, { ...CHAT, stream: true })) {
    expect(reply.done).toBe(false);
    if (++chunks === 2) break;
  }
  const next = await collect(promptSession(consumer, session, { ...CHAT, stream: true }));
  expect(next.at(-1)!.reply).toEqual({ done: true });
});

describe("garbage on the MOR-RPC port", () => {
  /** Writes `data` on a raw connection and returns what the node answered before closing. */
  function raw(data: Buffer | string, { end = false } = {}): Promise<string> {
    return new Promise((resolve) => {
      const socket = net.connect({ host: "127.0.0.1", port: provider.node.port });
      let received = "";
      socket.on("data", (chunk) => (received += chunk.toString()));
      // The node may close while a huge request is still being written: a reset is expected.
      socket.on("error", () => {});
      socket.on("close", () => resolve(received));
      socket.on("end", () => socket.destroy());
      socket.write(data, () => {
        if (end) socket.end();
      });
    });
  }

  const errorOf = (text: string) => (JSON.parse(text) as RpcResponse).error?.message;

  it("binary junk, invalid JSON, a non-string id, an unknown method: error replies, then pings still work", async () => {
    expect(errorOf(await raw(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff, 0x7d])))).toMatch(/^failed to unmarshal request: expected '\{'/);
    expect(errorOf(await raw('{"id":"1","method":"network.ping","params":{"nonce":}}'))).toMatch(/^failed to unmarshal request: /);
    expect(errorOf(await raw('{"id":1,"method":"network.ping","params":{}}'))).toMatch(/^failed to unmarshal request: /);
    expect(errorOf(await raw('{"id":"1","method":"session.nope","params":{}}'))).toBe("unknown method: unknown method: session.nope");
    expect(errorOf(await raw('{"id":"1","method":"session.prompt","params":{"sessionid":"0x12"}}'))).toMatch(/^request validation failed: /);
    await expectStillServing();
  });

  it("a request larger than the limit, half a request, and an empty connection", async () => {
    const huge = `{"id":"1","method":"network.ping","params":{"nonce":"0x${"ab".repeat(5 * 1024 * 1024)}"}}`;
    expect(errorOf(await raw(huge))).toMatch(/^failed to unmarshal request: JSON object exceeds \d+ bytes/);
    expect(await raw('{"id":"1","method":"network.pi', { end: true })).toBe("");
    expect(await raw("", { end: true })).toBe("");
    await expectStillServing();
    await expect(collect(promptSession(consumer, chatSession, CHAT))).resolves.toHaveLength(1);
  });
});

// Last: moves the chain clock past every session's end.
it("refuses a prompt once the chain is past the session's end: session expired", async () => {
  const session = await openProviderSession(consumer, offer("chat"), { durationSeconds: 600n });
  await expect(collect(promptSession(consumer, session, CHAT))).resolves.toHaveLength(1);
  const now = (await chain.client.getBlock()).timestamp;
  await increaseTime(chain.anvil.rpcUrl, session.endsAt - now + 1n);
  // The node re-reads a session's chain time at most every few seconds: it extrapolates with its
  // own clock in between, which a time jump outruns, so wait for it to notice.
  await eventually(() => expectMorRpcError(collect(promptSession(consumer, session, CHAT)), "provider_error", "session expired"), { timeoutMs: 8_000, intervalMs: 250 });
});
