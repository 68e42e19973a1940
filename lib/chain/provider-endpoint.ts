// Whether an endpoint may be registered for a provider: the one endpoint rule of MOR-RPC
// (lib/morrpc/endpoint.ts: format and length, the same rule consumers dial with), and on a live
// network a host consumers elsewhere can reach (no loopback, private or local-only names). Pure,
// so the provider page checks in the browser what the chain commands check in Node.
import { ENDPOINT_FORMAT, parseEndpoint } from "@/lib/morrpc/endpoint";

function isPrivateIpv4(host: string): boolean {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return false;
  const [a, b] = parts.map(Number);
  return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || a >= 224;
}

function isIpv4Literal(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

/** True for a loopback, private, link-local, CGNAT or multicast address, or a name only a local network resolves. */
export function isPrivateEndpointHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h.includes(":")) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    if (mapped) return isPrivateIpv4(mapped[1]);
    return h === "::" || h === "::1" || /^f[cd]/.test(h) || /^fe[89ab]/.test(h) || /^ff/.test(h);
  }
  if (isIpv4Literal(h)) return isPrivateIpv4(h);
  return h === "localhost" || h.endsWith(".localhost") || h.endsWith(".local") || h.endsWith(".internal") || h.endsWith(".lan") || !h.includes(".");
}

/** Why `endpoint` cannot be registered, or null when it can. `localChain`: private hosts are fine (everything runs on one machine). */
export function providerEndpointProblem(endpoint: string, { localChain }: { localChain: boolean }): string | null {
  const parsed = parseEndpoint(endpoint);
  if (!parsed) return `The endpoint must be ${ENDPOINT_FORMAT}.`;
  if (!localChain && isPrivateEndpointHost(parsed.host)) {
    return `${parsed.host} is a loopback, private or local-only host: consumers on the network cannot reach it. Register a public name or address.`;
  }
  return null;
}
