// The gateway's life inside the Next.js server (called from instrumentation.ts): started before the
// first request, so the session pool is recovered and tidied from the start, and on SIGTERM /
// SIGINT given the chance to write its queued usage records before the process exits. `npm start`
// sets NEXT_MANUAL_SIG_HANDLE so that Next.js leaves those signals to this handler.
import "server-only";
import { describeError } from "@/lib/redact";
import { startProviderPinger } from "./network-status";
import { getGateway, shutdownGateway } from "./runtime";

const SHUTDOWN_LIMIT_MS = 15_000;

export async function startGatewayWithServer(): Promise<void> {
  startProviderPinger(); // /status reads its last round; it runs whether or not the gateway starts
  await getGateway().catch((error: unknown) => {
    // The site still serves; /api/v1 answers 503 and retries building the gateway per request.
    console.error(`[gateway] failed to start: ${describeError(error, { stack: true })}`);
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const deadline = setTimeout(() => process.exit(0), SHUTDOWN_LIMIT_MS);
    deadline.unref();
    // The gateway as it is now, not as it was at boot: a request may have rebuilt it since.
    await shutdownGateway().catch((error: unknown) => console.error(`[gateway] shutdown: ${describeError(error)}`));
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}
