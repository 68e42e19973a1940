// Runs once when the Next.js server starts. The gateway lives in the Node.js runtime only.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    // First: per-address limits need the socket's address on every request from now on.
    const { installPeerAddress } = await import("@/lib/http/peer-address-server");
    installPeerAddress();
    const { startGatewayWithServer } = await import("@/lib/gateway/lifecycle");
    await startGatewayWithServer();
  }
}
