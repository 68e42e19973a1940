// Whether an endpoint may be registered for a provider: the one endpoint rule of MOR-RPC
// (lib/morrpc/endpoint.ts: format and length, the same rule consumers dial with), and on a live
// network a host consumers elsewhere can reach (no loopback, private or local-only names). Pure,
// so the provider page checks in the browser what the chain commands check in Node.
import { ENDPOINT_FORMAT, isPrivateEndpointHost, parseEndpoint } from "@/lib/morrpc/endpoint";

export { isPrivateEndpointHost };

/** Why `endpoint` cannot be registered, or null when it can. `localChain`: private hosts are fine (everything runs on one machine). */
export function providerEndpointProblem(endpoint: string, { localChain }: { localChain: boolean }): string | null {
  const parsed = parseEndpoint(endpoint);
  if (!parsed) return `The endpoint must be ${ENDPOINT_FORMAT}.`;
  if (!localChain && isPrivateEndpointHost(parsed.host)) {
    return `${parsed.host} is a loopback, private or local-only host: consumers on the network cannot reach it. Register a public name or address.`;
  }
  return null;
}
