import { describe, expect, it } from "vitest";
import { newNonce, pageContentSecurityPolicy } from "./content-security-policy";

const base = { nonce: "bm9uY2Utbm9uY2Utbm9uY2U=", dev: false, walletConnect: false, https: false };
const directive = (policy: string, name: string) => policy.split("; ").find((d) => d.startsWith(`${name} `));

describe("pageContentSecurityPolicy", () => {
  it("allows only nonced scripts and what they load, with no eval and no inline styles but attributes", () => {
    const policy = pageContentSecurityPolicy(base);
    expect(directive(policy, "script-src")).toBe(`script-src 'self' 'nonce-${base.nonce}' 'strict-dynamic'`);
    expect(directive(policy, "style-src")).toBe(`style-src 'self' 'nonce-${base.nonce}'`);
    expect(directive(policy, "connect-src")).toBe("connect-src 'self'");
    expect(directive(policy, "frame-src")).toBe("frame-src 'none'");
    for (const fixed of ["default-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'"]) expect(policy).toContain(fixed);
    expect(policy).not.toMatch(/unsafe-eval|upgrade-insecure-requests|walletconnect|coinbase/);
  });

  it("next dev: eval for React's dev build, and inline styles (a nonce would make browsers ignore 'unsafe-inline')", () => {
    const policy = pageContentSecurityPolicy({ ...base, dev: true });
    expect(directive(policy, "script-src")).toBe(`script-src 'self' 'nonce-${base.nonce}' 'strict-dynamic' 'unsafe-eval'`);
    expect(directive(policy, "style-src")).toBe("style-src 'self' 'unsafe-inline'");
  });

  it("reaches WalletConnect and Coinbase only when a WalletConnect project id is configured; upgrades http over https", () => {
    const policy = pageContentSecurityPolicy({ ...base, walletConnect: true, https: true });
    expect(directive(policy, "connect-src")).toContain("wss://relay.walletconnect.org");
    expect(directive(policy, "connect-src")).toContain("https://*.coinbase.com");
    expect(directive(policy, "frame-src")).toBe("frame-src https://verify.walletconnect.com https://verify.walletconnect.org");
    expect(directive(policy, "script-src")).toBe(`script-src 'self' 'nonce-${base.nonce}' 'strict-dynamic'`);
    expect(policy.endsWith("; upgrade-insecure-requests")).toBe(true);
  });
});

describe("newNonce", () => {
  it("is 128 random bits in base64, different every time", () => {
    const nonces = new Set(Array.from({ length: 1000 }, newNonce));
    expect(nonces.size).toBe(1000);
    for (const nonce of nonces) expect(Buffer.from(nonce, "base64")).toHaveLength(16);
  });
});
