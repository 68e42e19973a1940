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
