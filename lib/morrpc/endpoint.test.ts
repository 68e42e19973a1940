// One rule for provider endpoints, applied where they are registered and where they are dialed.
import { describe, expect, it } from "vitest";
import { registerProviderCommand } from "@/lib/provider/commands";
import type { ChainContext, ChainWallet } from "@/lib/chain/writes";
import { parseEndpoint } from "./endpoint";
import { sendRequest } from "./transport";

const valid: [string, { host: string; port: number }][] = [
  ["provider.example.com:3333", { host: "provider.example.com", port: 3333 }],
  ["127.0.0.1:1", { host: "127.0.0.1", port: 1 }],
  ["[::1]:65535", { host: "::1", port: 65535 }],
  ["[2001:db8::7]:8080", { host: "2001:db8::7", port: 8080 }],
  ["proxy_router-1:3333", { host: "proxy_router-1", port: 3333 }],
  [`${"a".repeat(249)}:3333`, { host: "a".repeat(249), port: 3333 }], // 254 characters
];

const invalid = [
  "",
  "provider.example.com",
  "http://provider.example.com:3333",
  "provider.example.com:3333/",
  " 127.0.0.1:3333",
  "127.0.0.1:3333\n",
  "127.0.0.1:0",
  "127.0.0.1:65536",
  "127.0.0.1:099999",
  "127.0.0.1:-1",
  "::1:3333",
  "[fe80::1%eth0]:3333",
  "hôst.example:3333",
  "user@host:3333",
  `${"a".repeat(251)}:3333`, // 256 characters
];

describe("parseEndpoint", () => {
  it.each(valid)("accepts %s", (endpoint, parsed) => {
    expect(parseEndpoint(endpoint)).toEqual(parsed);
  });

  it.each(invalid)("refuses %j", (endpoint) => {
    expect(parseEndpoint(endpoint)).toBeNull();
  });
});

describe("the same rule at registration and at dialing", () => {
  // Refused endpoints never reach the chain: any use of the context fails the test.
  const noChain = new Proxy({}, { get: () => expect.unreachable("the chain must not be reached") }) as ChainContext;
  const wallet = { account: { address: `0x${"11".repeat(20)}` } } as ChainWallet;

  it.each(invalid)("registration refuses %j", async (endpoint) => {
    await expect(registerProviderCommand(noChain, wallet, { endpoint, stake: 0n })).rejects.toThrow(/endpoint must be host:port/);
  });

  it.each(invalid)("a consumer refuses to dial %j", async (endpoint) => {
    const responses = sendRequest(endpoint, "{}", { timeouts: { dialMs: 1_000 } });
    await expect(responses.next()).rejects.toMatchObject({ code: "dial_failed", message: expect.stringMatching(/^invalid provider endpoint/) });
  });
});
