import { describe, expect, it } from "vitest";
import { isPrivateHost, parseProviderEndpoint } from "./endpoint";

describe("provider endpoints", () => {
  it("parses host:port and [ipv6]:port, refuses the rest", () => {
    expect(parseProviderEndpoint("Provider.Example:3333")).toEqual({ host: "provider.example", port: 3333 });
    expect(parseProviderEndpoint("[2001:db8::1]:443")).toEqual({ host: "2001:db8::1", port: 443 });
    for (const bad of ["provider.example", "provider.example:0", "provider.example:70000", "http://x:1", "a b:1", ""]) {
      expect(parseProviderEndpoint(bad)).toBeUndefined();
    }
  });

  it("tells private and local-only hosts from public ones", () => {
    for (const host of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fd00::1", "fe80::1", "::ffff:10.0.0.1", "localhost", "db.internal", "printer.local", "intranet"]) {
      expect(isPrivateHost(host), host).toBe(true);
    }
    for (const host of ["8.8.8.8", "172.32.0.1", "100.128.0.1", "2001:db8::1", "provider.example", "::ffff:8.8.8.8"]) {
      expect(isPrivateHost(host), host).toBe(false);
    }
  });
});
