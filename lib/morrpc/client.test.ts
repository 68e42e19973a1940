// The consumer client against a real MOR-RPC server that misbehaves in ways only a provider can.
import { afterEach, describe, expect, it } from "vitest";
import { promptProvider } from "./client";
import { MorRpcError } from "./errors";
import { encodeResult } from "./envelope";
import { bytesToHex } from "./json";
import { sealPromptResult } from "./messages";
import { createPrivateKey, publicKeyFromPrivate } from "./secp";
import { startMorRpcServer, type MorRpcServer } from "./transport";

const userKey = createPrivateKey();
const userPub = bytesToHex(publicKeyFromPrivate(userKey));
const providerKey = createPrivateKey();
const providerPubKey = bytesToHex(publicKeyFromPrivate(providerKey));
const sessionId = `0x${"34".repeat(32)}` as const;

const servers: MorRpcServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close(100);
});

/** A provider that answers every prompt with these plaintexts, each sealed and signed as a real one would be. */
async function providerReplying(plaintexts: string[]): Promise<string> {
  const server = await startMorRpcServer({
    host: "127.0.0.1",
    port: 0,
    onError: () => {},
    handle: async (request, connection) => {
      for (const plaintext of plaintexts) await connection.send(encodeResult("session.prompt", request.id, sealPromptResult(plaintext, userPub, providerKey)));
    },
  });
  servers.push(server);
  return `127.0.0.1:${server.port}`;
}

async function prompt(endpoint: string, stream: boolean) {
  const replies = [];
  for await (const reply of promptProvider(endpoint, { sessionId, request: { messages: [], stream }, providerPubKey }, { privateKey: userKey })) replies.push(reply);
  return replies;
}

describe("promptProvider", () => {
  it("a correctly signed reply whose plaintext is not JSON is a protocol error (invalid_json), not a SyntaxError", async () => {
    for (const stream of [false, true]) {
      const endpoint = await providerReplying(stream ? ['{"choices":[]}', "<html>502 Bad Gateway</html>"] : ["not json at all"]);
      const error = await prompt(endpoint, stream).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MorRpcError);
      expect(error).toMatchObject({ code: "invalid_json", message: expect.stringMatching(/^the provider's reply is not JSON/) });
    }
  });

  it("decrypts JSON replies up to [DONE]", async () => {
    const endpoint = await providerReplying(['{"choices":[{"delta":{"content":"hi"}}]}', '"[DONE]"']);
    expect(await prompt(endpoint, true)).toEqual([{ done: false, data: { choices: [{ delta: { content: "hi" } }] } }, { done: true }]);
  });
});
