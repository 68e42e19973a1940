// One rule for provider endpoints, applied where they are registered and where they are dialed.
import { describe, expect, it } from "vitest";
import { registerProviderCommand } from "@/lib/provider/commands";
import type { ChainContext, ChainWallet } from "@/lib/chain/writes";
import { isPrivateEndpointHost, parseEndpoint } from "./endpoint";
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

describe("isPrivateEndpointHost: the one rule for hosts no public-chain provider may point others at", () => {
  it("tells private and local-only hosts from public ones", () => {
    for (const host of [
      "127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "192.0.0.8", "198.18.0.1", "224.0.0.1",
      "::1", "[::1]", "::", "fd00::1", "fe80::1", "ff02::1", "::ffff:10.0.0.1",
      "localhost", "api.localhost", "db.internal", "printer.local", "router.lan", "intranet",
      "127.1", "0x7f.1", "2130706433", "999.1.1.1", "localhost.",
    ]) {
      expect(isPrivateEndpointHost(host), host).toBe(true);
    }
    for (const host of ["8.8.8.8", "172.32.0.1", "100.128.0.1", "198.20.0.1", "2001:db8::1", "provider.example", "Provider.Example.COM", "::ffff:8.8.8.8"]) {
      expect(isPrivateEndpointHost(host), host).toBe(false);
    }
  });
});
