// The soak: two gateway processes (`next start`) on one real PostgreSQL, one provider node (the
// `npm run provider` process, its connection caps raised through PROVIDER_MAX_CONNECTIONS*), the
// demo model streaming ~10 chunks a second, and SOAK_STREAMS clients streaming one chat after
// another for SOAK_SECONDS, half through each gateway. Then: no request failed; every request
// made has exactly one finished usage record, with the tokens its client was told; the provider
// never saw two prompts at once on one session (the proxy monitor of scale-out.test.ts); and the
// RSS of each gateway after warm-up grew by less than MEMORY_GROWTH_BOUND.
//
// `npm test` runs a short one (80 streams, 20 s); `npm run test:soak` the long one (300 streams,
// 180 s; SOAK_STREAMS / SOAK_SECONDS override). Loopback only. Needs TEST_POSTGRES_URL, as
// scale-out.test.ts (PGlite runs one statement at a time: not what several instances share).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { devAccounts, devPrivateKey } from "@/lib/chain/anvil";
import { postgresBackend } from "../db/backends";
import {
  Cleanup,
  cliEnv,
  createKey,
  modelIdFor,
  modelsConfigJson,
  openaiFor,
  seedProvider,
  showGatewayOutputOnFailure,
  startChain,
  startDatabase,
  startDemo,
  startGateway,
  startProviderProcess,
  startSessionMonitor,
  tempDir,
  type GatewayProcess,
  type ProviderProcess,
  type SessionMonitor,
  type TestDatabase,
} from "./fixture";

// Test harness knobs (the app's own configuration goes through lib/env.ts).
const STREAMS = positiveInt(process.env.SOAK_STREAMS, 80);
const SECONDS = positiveInt(process.env.SOAK_SECONDS, 20);
/**
 * How much a gateway's RSS may grow from the end of warm-up (the first third of the run, at least
 * 5 s after the last client started) to the end: 64 MiB plus 25 % of its size after warm-up.
 * Generous on purpose: V8 grows its heap in steps and collects lazily; a leak of a few KiB per
 * request over thousands of requests still shows above it in the long run.
 */
const MEMORY_GROWTH_BOUND = (rssAfterWarmUp: number) => 64 * 2 ** 20 + 0.25 * rssAfterWarmUp;

const PROVIDER = 4;
const MODEL = "soak-chat";
const modelId = modelIdFor(PROVIDER, MODEL);

function positiveInt(value: string | undefined, fallback: number): number {
  if (value === undefined || value === "") return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`not a positive integer: ${value}`);
  return parsed;
}

/** Resident memory of a process, from /proc (Linux; the soak runs there). */
function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (!kib) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kib[1]) * 1024;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

type Served = { requestId: string; gateway: string; promptTokens: number; completionTokens: number; chunks: number };

describe.skipIf(postgresBackend.skipReason)(
  `soak: ${STREAMS} streams for ${SECONDS} s through two gateways${postgresBackend.skipReason ? ` (skipped: ${postgresBackend.skipReason})` : ""}`,
  () => {
    const cleanup = new Cleanup();
    let database: TestDatabase;
    let monitor: SessionMonitor;
    let gateways: GatewayProcess[] = [];
    let node: ProviderProcess;
    let key: string;

    beforeAll(async () => {
      const chain = await startChain(cleanup);
      // ~10 chunks a second; a "code" reply has ~80 of them, so a stream lasts ~8 s.
      const demo = await startDemo(cleanup, { tokenDelayMs: 100 });
      node = await startProviderProcess(
        cleanup,
        cliEnv(chain, {
          PROVIDER_PRIVATE_KEY: devPrivateKey(devAccounts[PROVIDER]),
          MODELS_CONFIG_CONTENT: JSON.stringify(modelsConfigJson([{ modelId, url: demo.url }])),
          DATA_DIR: tempDir(cleanup, "soak-provider-"),
          // Every prompt of both gateways comes through the monitor, from one address: one connection each, plus pings.
          PROVIDER_MAX_CONNECTIONS: String(4 * STREAMS + 64),
          PROVIDER_MAX_CONNECTIONS_PER_ADDRESS: String(4 * STREAMS + 64),
        }),
      );
      monitor = await startSessionMonitor(cleanup, node.endpoint);
      await seedProvider(chain, { providerIndex: PROVIDER, endpoint: monitor.endpoint, name: MODEL });
      database = await startDatabase(cleanup, postgresBackend);
      // A session serves one stream at a time: the pool may hold one per stream (plus a few opening).
      const sessions = String(STREAMS + 16);
      const env = {
        GATEWAY_MAX_SESSIONS_PER_MODEL: sessions,
        GATEWAY_MAX_SESSIONS: sessions,
        GATEWAY_MAX_OPENINGS_PER_PROVIDER_PER_MINUTE: String(4 * STREAMS),
        GATEWAY_MAX_CONCURRENT_PER_KEY: String(STREAMS),
        GATEWAY_ACQUIRE_TIMEOUT_MS: "60000",
        GATEWAY_FIRST_BYTE_TIMEOUT_MS: "60000",
        API_KEY_REFRESH_MS: "1000", // the production default: the key is not looked up in the database per request
      };
      gateways = await Promise.all(["soak-a", "soak-b"].map((instanceId) => startGateway(cleanup, { chain, database, instanceId, env })));
      key = await createKey(database.db, { rpmLimit: 1_000_000, tpmLimit: 1_000_000_000 });
    });
    afterAll(() => cleanup.run());
    showGatewayOutputOnFailure(() => gateways);
    // The whole logs of a failed run (the output above is their tail): a long soak's first error may be far back.
    beforeEach(({ onTestFailed }) => {
      onTestFailed(() => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "morpheus-soak-logs-"));
        for (const gateway of gateways) fs.writeFileSync(path.join(dir, `${gateway.instanceId}.log`), gateway.output());
        if (node) fs.writeFileSync(path.join(dir, "provider.log"), node.output());
        console.error(`[soak] full logs of the gateways and the provider node in ${dir}`);
      });
    });

    it(
      "serves every stream, records each request once with its tokens, never shares a session, and keeps memory flat",
      async () => {
        const served: Served[] = [];
        const errors: string[] = [];
        const started = Date.now();
        const deadline = started + SECONDS * 1000;
        const rss = gateways.map(() => [] as Array<{ at: number; bytes: number }>);
        let clientsStarted = 0;

        /** One client: streams chats through `gateway` one after another until the deadline. */
        async function client(gateway: GatewayProcess, index: number) {
          const openai = openaiFor(gateway, key);
          for (let n = 0; Date.now() < deadline; n++) {
            try {
              const messages = [{ role: "user" as const, content: `soak client ${index} request ${n}: show me some code` }];
              const { data, response } = await openai.chat.completions
                .create({ model: MODEL, messages, stream: true, stream_options: { include_usage: true } })
                .withResponse();
              let chunks = 0;
              let usage: { prompt_tokens: number; completion_tokens: number } | undefined;
              for await (const chunk of data) {
                if (chunk.choices[0]?.delta?.content) chunks++;
                if (chunk.usage) usage = chunk.usage;
              }
              if (!usage) throw new Error("the stream ended without its usage chunk");
              served.push({
                requestId: response.headers.get("x-request-id")!,
                gateway: gateway.instanceId,
                promptTokens: usage.prompt_tokens,
                completionTokens: usage.completion_tokens,
                chunks,
              });
            } catch (error) {
              errors.push(`client ${index} via ${gateway.instanceId}: ${(error as Error).message}`);
              if (errors.length > 20) return; // enough to say what went wrong
            }
          }
        }

        // Memory sampled once a second while the clients run.
        let sampling = true;
        const sampler = (async () => {
          while (sampling) {
            gateways.forEach((gateway, i) => rss[i].push({ at: Date.now(), bytes: rssBytes(gateway.pid) }));
            await new Promise((resolve) => setTimeout(resolve, 1000));
          }
        })();

        // Clients start over the first ~10 % of the run (at most 5 s), so the pool opens its sessions as they come.
        const rampMs = Math.min(5_000, SECONDS * 100);
        const clients: Promise<void>[] = [];
        for (let i = 0; i < STREAMS; i++) {
          clients.push(client(gateways[i % 2], i));
          clientsStarted++;
          await new Promise((resolve) => setTimeout(resolve, rampMs / STREAMS));
        }
        const rampedAt = Date.now();
        await Promise.all(clients);
        sampling = false;
        await sampler;

        expect(errors).toEqual([]);
        expect(clientsStarted).toBe(STREAMS);
        const total = served.length;
        expect(total).toBeGreaterThanOrEqual(STREAMS);

        // Usage: exactly one finished record per request made, status ok, the tokens the client was told.
        const records = await waitForFinishedRecords(total);
        const byRequest = new Map(records.map((r) => [r.requestId, r]));
        expect(byRequest.size).toBe(records.length); // no request recorded twice
        const mismatched = served.filter((s) => {
          const r = byRequest.get(s.requestId);
          return !r || r.status !== "ok" || r.promptTokens !== s.promptTokens || r.completionTokens !== s.completionTokens;
        });
        expect(mismatched).toEqual([]);
        expect(await database.db.usageRecord.count()).toBe(total); // and none besides them (no running leftovers)

        // The provider's side: each request reached it once, one at a time per session.
        expect(monitor.prompts).toHaveLength(total);
        expect([...monitor.overlapping]).toEqual([]);
        expect(monitor.maxConcurrentPerSession()).toBe(1);

        // Memory: after warm-up, flat within the bound.
        const warmedUp = Math.max(started + (SECONDS * 1000) / 3, rampedAt + 5_000);
        const figures = rss.map((samples, i) => {
          const after = samples.filter((s) => s.at >= warmedUp).map((s) => s.bytes);
          const first = samples[0]?.bytes ?? 0;
          // Medians of the first and last few samples after warm-up, so one GC step does not decide.
          const take = Math.max(1, Math.min(5, Math.floor(after.length / 4)));
          const start = median(after.slice(0, take));
          const end = median(after.slice(-take));
          return { gateway: gateways[i].instanceId, first, start, end, peak: Math.max(...samples.map((s) => s.bytes)), samples: after.length };
        });
        const chunksPerStream = served.reduce((sum, s) => sum + s.chunks, 0) / total;
        console.log(
          `[soak] ${STREAMS} streams for ${SECONDS} s: ${total} requests (${served.filter((s) => s.gateway === "soak-a").length} / ${served.filter((s) => s.gateway === "soak-b").length}), ` +
            `${chunksPerStream.toFixed(0)} chunks per stream, ${records.length} usage records, ${new Set(records.map((r) => r.sessionId)).size} sessions; RSS ` +
            figures.map((f) => `${f.gateway} ${mib(f.first)} at start, ${mib(f.start)} after warm-up, ${mib(f.end)} at the end (peak ${mib(f.peak)})`).join("; "),
        );
        for (const f of figures) {
          expect(f.samples, `${f.gateway}: RSS samples after warm-up`).toBeGreaterThan(0);
          expect(f.end - f.start, `${f.gateway}: RSS growth after warm-up`).toBeLessThan(MEMORY_GROWTH_BOUND(f.start));
        }
      },
      (SECONDS + 120) * 1000,
    );

    /** The usage records once `count` have finished (none left running), or what there is after a bounded wait. */
    async function waitForFinishedRecords(count: number) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const records = await database.db.usageRecord.findMany({ where: { status: { not: "running" } } });
        if (records.length >= count || Date.now() > deadline) {
          expect(records).toHaveLength(count);
          return records;
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  },
);
