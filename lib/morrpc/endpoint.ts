// A provider's endpoint as registered on-chain and dialed by consumers: `host:port`, no scheme
// (spec: compute-node-contracts.md, Provider.endpoint). One rule for both sides, so an endpoint
// the registration accepts is one every consumer will dial, and the other way round.

export const MAX_ENDPOINT_LENGTH = 255;

/** For error messages: what an endpoint must look like. */
export const ENDPOINT_FORMAT = `host:port with no scheme, a port from 1 to 65535 and at most ${MAX_ENDPOINT_LENGTH} characters (e.g. provider.example.com:3333)`;

// A DNS name or IPv4 address (ASCII letters, digits, dot, hyphen, and the underscore of container
// names), or an IPv6 address in brackets; no zone id (meaningless to another machine), no spaces.
const ENDPOINT = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+)):(\d{1,5})$/;

/** The host and port of `endpoint`, or null when it is not a valid provider endpoint. */
export function parseEndpoint(endpoint: string): { host: string; port: number } | null {
  if (endpoint.length > MAX_ENDPOINT_LENGTH) return null;
  const match = ENDPOINT.exec(endpoint);
  if (!match) return null;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return null;
  return { host: match[1] ?? match[2], port };
}

function isPrivateIpv4(host: string): boolean {
  const [a, b, c] = host.split(".").map(Number);
  return (
    a === 0 || a === 10 || a === 127 || a >= 224 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local (cloud metadata)
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && c === 0) || // IETF protocol assignments
    (a === 198 && (b === 18 || b === 19)) // benchmarking
  );
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * Whether `host` (a host of parseEndpoint, or a resolved address) is one no provider on a public
 * chain may point others at: loopback, private, link-local, CGNAT, reserved or multicast
 * addresses, names only a local network resolves, and numeric labels that are not a plain IPv4
 * address (resolvers read "127.1" or "0x7f.1" as 127.0.0.1). The one rule for registering (the provider page
 * and CLI), dialing (the gateway's offers) and pinging (/status). Pure: it runs in the browser too.
 */
export function isPrivateEndpointHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (h.includes(":")) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    if (mapped) return !IPV4.test(mapped[1]) || isPrivateIpv4(mapped[1]);
    return h === "::" || h === "::1" || /^f[cd]/.test(h) || /^fe[89ab]/.test(h) || /^ff/.test(h);
  }
  // Labels all numeric (decimal, octal or 0x-hex) make an address to resolvers, not a name.
  if (h.split(".").every((label) => /^(0x[0-9a-f]*|\d+)$/.test(label))) return !IPV4.test(h) || isPrivateIpv4(h);
  return h === "localhost" || h.endsWith(".localhost") || h.endsWith(".local") || h.endsWith(".internal") || h.endsWith(".lan") || !h.includes(".");
}
