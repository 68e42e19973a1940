// Provider endpoints as registered on-chain ("host:port"): parsing, and whether a host is private
// (loopback, private, link-local, carrier-grade NAT, unique-local IPv6, or a local-only name). On a
// live network the portal never connects to such hosts on a provider's word: an on-chain endpoint
// pointing at 10.0.0.5:22 must not turn the server into a probe of its own network.
import { isIP } from "node:net";

export interface ProviderEndpoint {
  host: string;
  port: number;
}

/** "host:port" or "[ipv6]:port"; undefined when malformed. */
export function parseProviderEndpoint(endpoint: string): ProviderEndpoint | undefined {
  const match = /^(?:\[([\w:.%]+)\]|([^\s:/[\]]+)):(\d{1,5})$/.exec(endpoint.trim());
  const port = match ? Number(match[3]) : 0;
  if (!match || port < 1 || port > 65535) return undefined;
  return { host: (match[1] ?? match[2]).toLowerCase(), port };
}

function ipv4Private(address: string): boolean {
  const [a, b] = address.split(".").map(Number);
  return (
    a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || a >= 224
  );
}

/** True for an IP literal in a non-public range, or a name that only resolves locally. */
export function isPrivateHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  const version = isIP(h);
  if (version === 4) return ipv4Private(h);
  if (version === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    if (mapped) return ipv4Private(mapped[1]);
    return h === "::" || h === "::1" || /^f[cd]/.test(h) || /^fe[89ab]/.test(h);
  }
  return h === "localhost" || h.endsWith(".localhost") || h.endsWith(".local") || h.endsWith(".internal") || !h.includes(".");
}
