import { describe, expect, it } from "vitest";
import { isPrivateEndpointHost, providerEndpointProblem } from "./provider-endpoint";

describe("provider endpoints for registration", () => {
  it("accepts public hosts on every chain", () => {
    for (const endpoint of ["provider.example.com:3333", "203.0.113.7:443", "[2001:db8::7]:8080"]) {
      expect(providerEndpointProblem(endpoint, { localChain: false })).toBeNull();
      expect(providerEndpointProblem(endpoint, { localChain: true })).toBeNull();
    }
  });

  it("refuses malformed endpoints with the format in the message", () => {
    for (const endpoint of ["", "http://provider.example.com:3333", "provider.example.com", "host:70000", `${"a".repeat(260)}:1`]) {
      expect(providerEndpointProblem(endpoint, { localChain: true })).toMatch(/host:port with no scheme/);
    }
  });

  it("refuses loopback, private and local-only hosts on live networks, not on the local chain", () => {
    for (const endpoint of ["127.0.0.1:3333", "10.1.2.3:3333", "192.168.0.4:1", "172.20.0.1:1", "169.254.1.1:1", "100.64.0.1:1", "[::1]:3333", "[fd00::1]:1", "[fe80::1]:1", "[::ffff:10.0.0.1]:1", "localhost:3333", "node.local:1", "proxy-router:3333"]) {
      expect(providerEndpointProblem(endpoint, { localChain: false }), endpoint).toMatch(/loopback, private or local-only/);
      expect(providerEndpointProblem(endpoint, { localChain: true }), endpoint).toBeNull();
    }
  });

  it("keeps public look-alikes public", () => {
    expect(isPrivateEndpointHost("172.32.0.1")).toBe(false);
    expect(isPrivateEndpointHost("11.0.0.1")).toBe(false);
    expect(isPrivateEndpointHost("10.example.com")).toBe(false);
  });
});
