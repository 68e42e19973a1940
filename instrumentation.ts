// Runs once when the Next.js server starts. The gateway lives in the Node.js runtime only.
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { startGatewayWithServer } = await import("@/lib/gateway/lifecycle");
    await startGatewayWithServer();
  }
}
