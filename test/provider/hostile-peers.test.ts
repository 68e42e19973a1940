// The provider node against hostile consumers (issue 10) and MOR-RPC methods it does not serve
// (issue 12), over TCP against a real anvil: no chain read for a request it cannot tie to a user
// it knows, replays with another recovery byte, prompts with special-token text, and the error
// texts a Go consumer expects for agent tools and audio streaming.
import { randomBytes } from "node:crypto";
import { createPublicClient, http, type Hex, type PublicClient } from "viem";
import { foundry } from "viem/chains";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { devAccounts, devPrivateKey } from "@/lib/chain/anvil";
import { openProviderSession, promptSession, type Consumer, type OpenedSession } from "@/lib/consumer";
import {
  bytesToHex,
  createPrivateKey,
  decodeResult,
  encodeRequest,
  hexToBytes,
  newRequestId,
  openPromptResult,
  publicKeyFromPrivate,
  sendRequest,
  signParams,
  type RpcResponse,
} from "@/lib/morrpc";
import { startProviderNode, type ProviderNode } from "@/lib/provider";
import { Cleanup, collect, consumerFor, dataOf, modelIdFor, modelsConfig, PRICE, seedProvider, startChain, startDemo, type TestChain } from "./fixture";

const PROVIDER = 5;
const cleanup = new Cleanup();
let chain: TestChain;
let node: ProviderNode;
let endpoint: string;
let consumer: Consumer;
let bidId: Hex;
/** Chain reads the node made (eth_call and eth_getBlockByNumber through its own client). */
const reads = { count: 0 };

function countingClient(rpcUrl: string): PublicClient {
  const fetchFn: typeof fetch = async (input, init) => {
    const body = typeof init?.body === "string" ? init.body : "";
    reads.count += (body.match(/"method":"(eth_call|eth_getBlockByNumber)"/g) ?? []).length;
    return fetch(input, init);
  };
  return createPublicClient({ chain: foundry, transport: http(rpcUrl, { fetchFn }), pollingInterval: 100 }) as PublicClient;
}

beforeAll(async () => {
  chain = await startChain(cleanup);
  const demo = await startDemo(cleanup);
  const modelId = modelIdFor(PROVIDER, "hostile");
  node = await startProviderNode({
    privateKey: devPrivateKey(devAccounts[PROVIDER]),
    models: modelsConfig([{ modelId, url: demo.url }]),
    reader: { client: countingClient(chain.anvil.rpcUrl), diamond: chain.deployed.diamond },
    host: "127.0.0.1",
    port: 0,
  });
  cleanup.add(() => node.close(1_000));
  endpoint = `127.0.0.1:${node.port}`;
  ({ bidId } = await seedProvider(chain, { providerIndex: PROVIDER, endpoint, name: "hostile" }));
  consumer = await consumerFor(chain, 2);
});
afterAll(() => cleanup.run());

async function exchange(wire: string): Promise<RpcResponse[]> {
  const responses: RpcResponse[] = [];
  for await (const response of sendRequest(endpoint, wire)) responses.push(response);
  return responses;
}

const errorsOf = (responses: RpcResponse[]) => responses.map((r) => r.error?.message);

// First, before any session exists: nothing else makes the node read the chain meanwhile.
describe("requests the node cannot tie to a user it knows cost no chain read", () => {
  it("unsigned and wrongly signed prompts and reports: refused with zero chain reads", async () => {
    const sessionId = bytesToHex(randomBytes(32));
    const before = reads.count;
    const prompt = { sessionid: sessionId, message: '{"messages":[]}', timestamp: Date.now() };
    const unsigned = await exchange(JSON.stringify({ id: "u", method: "session.prompt", params: prompt }));
    const garbageSig = await exchange(JSON.stringify({ id: "g", method: "session.prompt", params: { ...prompt, signature: `0x${"11".repeat(65)}` } }));
    const stranger = await exchange(
      encodeRequest("session.prompt", newRequestId(), signParams("session.prompt", { sessionId, prompt: '{"messages":[]}', timestamp: Date.now() }, createPrivateKey())),
    );
    const report = await exchange(encodeRequest("session.report", newRequestId(), signParams("session.report", { sessionId, timestamp: Date.now() }, createPrivateKey())));
    const stranger2 = await exchange(
      encodeRequest(
        "session.request",
        newRequestId(),
        signParams("session.request", { user: consumer.account.address, key: bytesToHex(publicKeyFromPrivate(hexToBytes(consumer.privateKey))), spend: 1n, timestamp: Date.now(), bidId }, createPrivateKey()),
      ),
    );
    expect(reads.count - before).toBe(0);
    expect([...unsigned, ...garbageSig, ...stranger, ...report, ...stranger2].every((r) => r.error !== undefined)).toBe(true);
    expect(errorsOf(stranger)).toEqual(["user not found"]);
    expect(errorsOf(report)).toEqual(["user not found"]);
    expect(errorsOf(stranger2)).toEqual(["invalid signature"]);
  });
});

describe("prompts on a real session", () => {
  let session: OpenedSession;
  beforeAll(async () => {
    session = await openProviderSession(consumer, { bidId, provider: devAccounts[PROVIDER].address, endpoint, pricePerSecond: PRICE }, { durationSeconds: 600n });
  });

  it("a prompt of special-token text such as <|endoftext|> gets a normal reply with token counts", async () => {
    const replies = await collect(promptSession(consumer, session, { messages: [{ role: "user", content: "<|endoftext|>" }] }));
    const [completion] = dataOf(replies);
    expect(completion).toMatchObject({ object: "chat.completion" });
    // cl100k counts "<|endoftext|>" as text: 7 tokens, plus 1 + 3 for the message.
    expect(completion.usage_from_provider).toMatchObject({ prompt_tokens: 11, completion_tokens: expect.any(Number) });
    expect((completion.usage_from_provider as { completion_tokens: number }).completion_tokens).toBeGreaterThan(7);
  });

  it("the same prompt with its recovery byte changed (0↔1, 27, 28) or its hex upper-cased is refused as a replay", async () => {
    const params = signParams("session.prompt", { sessionId: session.sessionId, prompt: JSON.stringify({ messages: [{ role: "user", content: "once" }] }), timestamp: Date.now() }, hexToBytes(consumer.privateKey));
    const first = await exchange(encodeRequest("session.prompt", newRequestId(), params));
    expect(first.every((r) => r.error === undefined)).toBe(true);
    expect(JSON.parse(openPromptResult(decodeResult("session.prompt", first[0].result), session.providerPubKey, consumer.privateKey))).toMatchObject({ object: "chat.completion" });

    const sig = params.signature!;
    const v = Number.parseInt(sig.slice(-2), 16);
    const variants = [...[v ^ 1, 27 + v, 28 - v].map((b) => `${sig.slice(0, -2)}${b.toString(16).padStart(2, "0")}`), `0x${sig.slice(2).toUpperCase()}`];
    for (const signature of variants) {
      const again = await exchange(encodeRequest("session.prompt", newRequestId(), { ...params, signature: signature as Hex }));
      expect(errorsOf(again), signature).toEqual(["invalid signature: replayed request"]);
    }
  });
});

describe("MOR-RPC methods of the Go node this one does not serve", () => {
  it.each([
    ["agent.get_tools", "failed to get agent tools: agent not found: this provider serves no agents"],
    ["agent.call_tool", "failed to call agent tool: agent not found: this provider serves no agents"],
    ["session.prompt.stream.start", "failed to create streaming session: audio streaming is not supported by this provider"],
    ["session.prompt.stream.chunk", "streaming session s-1 not found"],
    ["session.prompt.stream.end", "streaming session s-1 not found"],
  ])("%s: the infrastructure error a Go node without it answers", async (method, message) => {
    const responses = await exchange(JSON.stringify({ id: "m", method, params: { sessionid: bytesToHex(randomBytes(32)), streamid: "s-1", timestamp: Date.now() } }));
    expect(responses).toEqual([{ id: "m", result: null, error: { message, code: 400, data: { timestamp: expect.any(Number), signature: "0x00" } } }]);
  });
});
