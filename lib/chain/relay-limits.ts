// Limits of the browser's chain relay (/api/chain/rpc), shared by the relay and the browser's
// transport: no imports, so client code can use them.

/** Calls per JSON-RPC batch the relay accepts; the browser's transport batches no more than this. */
export const relayMaxBatch = 20;
