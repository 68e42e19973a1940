// The CSV export of the usage page: exactly the requests its filters show, newest first, streamed
// from the database in batches and bounded in size.
import "server-only";
import type { Db } from "@/lib/db";
import type { UsageWindow } from "./filters";
import { usageRowBatches, type UsageRow } from "./queries";

/** Most rows one export holds (the newest); the response says when it was cut. */
export const maxCsvRows = 100_000;

export const csvColumns = [
  "time_utc",
  "request_id",
  "key",
  "key_prefix",
  "model",
  "endpoint",
  "stream",
  "status",
  "error_code",
  "provider",
  "session_id",
  "prompt_tokens",
  "completion_tokens",
  "ttft_ms",
  "duration_ms",
] as const;

/**
 * One CSV field (RFC 4180 quoting). Text a client chose (key names, model names) that starts like a
 * formula is prefixed with ' so a spreadsheet shows it instead of running it.
 */
export function csvField(value: string | number | boolean | null): string {
  if (value === null) return "";
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(row: UsageRow): string {
  return [
    row.createdAt.toISOString(),
    row.requestId,
    row.keyName,
    row.keyPrefix,
    row.model,
    row.endpoint,
    row.stream,
    row.status,
    row.errorCode,
    row.providerAddress,
    row.sessionId,
    row.promptTokens,
    row.completionTokens,
    row.ttftMs,
    row.durationMs,
  ]
    .map(csvField)
    .join(",");
}

/** The export as a byte stream: the header line, then every matching row; stops early when the reader goes away. */
export function usageCsvStream(db: Db, userId: string, window: UsageWindow, maxRows = maxCsvRows): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const batches = usageRowBatches(db, userId, window, maxRows);
  let headerSent = false;
  return new ReadableStream({
    async pull(controller) {
      if (!headerSent) {
        headerSent = true;
        controller.enqueue(encoder.encode(`${csvColumns.join(",")}\r\n`));
        return;
      }
      try {
        const next = await batches.next();
        if (next.done) return controller.close();
        controller.enqueue(encoder.encode(next.value.map((row) => `${csvLine(row)}\r\n`).join("")));
      } catch (error) {
        controller.error(error);
      }
    },
    async cancel() {
      await batches.return(undefined);
    },
  });
}
