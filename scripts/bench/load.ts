// Load generation for `npm run bench`: plain node:http over keep-alive connections (what every
// target gets alike), timing each request to its end and, for streams, to each SSE event.
// Everything is bounded: a per-request deadline, a bounded number of requests or seconds.
import http from "node:http";

export interface Sample {
  ok: boolean;
  /** ms from send to the end of the reply. */
  totalMs: number;
  /** ms from send to the first streamed chunk (streams only). */
  ttftMs?: number;
  /** Streamed chunks received (data events other than [DONE]). */
  chunks: number;
  error?: string;
}

/** One way of sending a chat completion: over HTTP, or (provider alone) through the MOR-RPC consumer. */
export type Sender = (body: Record<string, unknown>) => Promise<Sample>;

const REQUEST_DEADLINE_MS = 60_000;

/** An OpenAI-style HTTP endpoint (chat completions URL + headers), with its own connection pool. */
export function httpSender(url: string, headers: Record<string, string>): Sender {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
  return (body) =>
    new Promise<Sample>((resolve) => {
      const payload = Buffer.from(JSON.stringify(body));
      const start = performance.now();
      const stream = body.stream === true;
      let ttftMs: number | undefined;
      let chunks = 0;
      let sawDone = false;
      let settled = false;
      const finish = (ok: boolean, error?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ ok, totalMs: performance.now() - start, ttftMs, chunks, ...(error ? { error } : {}) });
      };
      const req = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          agent,
          headers: { "content-type": "application/json", "content-length": payload.length, ...headers },
        },
        (res) => {
          let pending = "";
          let bodyText = "";
          res.setEncoding("utf8");
          res.on("data", (text: string) => {
            if (!stream) {
              bodyText += text;
              return;
            }
            pending += text;
            // SSE events end with a blank line; count each data event as it completes.
            let end: number;
            while ((end = pending.indexOf("\n\n")) !== -1) {
              const event = pending.slice(0, end);
              pending = pending.slice(end + 2);
              const data = event.split("\n").find((line) => line.startsWith("data:"));
              if (!data) continue;
              if (data.slice(5).trim() === "[DONE]") {
                sawDone = true;
                continue;
              }
              if (data.includes('"error"')) return finish(false, `error event: ${data.slice(0, 200)}`);
              if (chunks++ === 0) ttftMs = performance.now() - start;
            }
          });
          res.on("end", () => {
            if (res.statusCode !== 200) return finish(false, `HTTP ${res.statusCode}: ${(bodyText || pending).slice(0, 200)}`);
            if (stream) return finish(sawDone && chunks > 0, sawDone ? undefined : "stream ended without [DONE]");
            try {
              const parsed = JSON.parse(bodyText) as { choices?: unknown[] };
              finish(Array.isArray(parsed.choices) && parsed.choices.length > 0, "no choices");
            } catch {
              finish(false, `not JSON: ${bodyText.slice(0, 200)}`);
            }
          });
          res.on("error", (error) => finish(false, error.message));
        },
      );
      const timer = setTimeout(() => {
        req.destroy(new Error(`no reply within ${REQUEST_DEADLINE_MS} ms`));
      }, REQUEST_DEADLINE_MS);
      req.on("error", (error) => finish(false, error.message));
      req.end(payload);
    }).then((sample) => (sample.ok ? { ...sample, error: undefined } : sample));
}

/** `count` requests, `concurrency` at a time. */
export async function runCount(send: Sender, body: Record<string, unknown>, count: number, concurrency: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        next++;
        samples.push(await send(body));
      }
    }),
  );
  return samples;
}

/** A closed loop of `concurrency` workers for `durationMs`: requests started before the end are waited for. */
export async function runFor(send: Sender, body: Record<string, unknown>, durationMs: number, concurrency: number): Promise<{ samples: Sample[]; elapsedMs: number }> {
  const samples: Sample[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() - start < durationMs) samples.push(await send(body));
    }),
  );
  return { samples, elapsedMs: performance.now() - start };
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
