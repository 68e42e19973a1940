// The end-to-end bench: one run, all workloads interleaved round by round across the four
// targets, one table. See README "Performance".
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promptSession, type Consumer, type OpenedSession } from "@/lib/consumer";
import { httpSender, percentile, runCount, runFor, type Sample, type Sender } from "./load";
import { cpuMs, memoryMb, processTree } from "./procfs";
import { FAST_MODEL, PACED_MODEL, PACED_TOKEN_DELAY_MS, root, startStack, type Stack } from "./stack";
import { formatSummary, summarizeProfile } from "./cpuprofile";

const SESSION_CAP = 8;

interface Settings {
  rounds: number;
  serialPerRound: number;
  streamBatchesPerRound: number;
  saturationMs: number;
  pacedStreams: number;
  pacedChunks: number;
}

const QUICK: Settings = { rounds: 3, serialPerRound: 40, streamBatchesPerRound: 3, saturationMs: 2_000, pacedStreams: 64, pacedChunks: 20 };
const FULL: Settings = { rounds: 8, serialPerRound: 100, streamBatchesPerRound: 8, saturationMs: 4_000, pacedStreams: 500, pacedChunks: 30 };

type TargetKey = "direct" | "provider" | "gateway" | "reference";
interface Target {
  key: TargetKey;
  label: string;
  fast: Sender;
  paced?: Sender;
  /** The processes whose CPU and memory count for this target (the hop it adds). */
  pids: () => number[];
  unavailable?: string;
}

interface Results {
  serial: number[];
  ttft: number[];
  /** Per stream: mean ms between chunks after the first. */
  perChunk: number[];
  satRequests: number;
  satMs: number;
  satCpuMs: number;
  errors: string[];
  streamCpuMs: number;
  streamChunks: number;
  pacedOk?: number;
  pacedTotal?: number;
  pacedRssMb?: number;
  /** How long the whole paced streams took, p50 / p99 (ms): at 10 chunks/s a stream of N chunks takes about (N − 1) × 100 ms. */
  pacedDurationMs?: [number, number];
  peakRssMb?: number;
}

const chatBody = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: "user", content: "Benchmark prompt: describe the Morpheus marketplace in a few words" }],
  ...extra,
});

/** The provider alone: prompts through the MOR-RPC consumer, one at a time per session. */
function consumerSender(consumer: Consumer, sessions: OpenedSession[]): Sender {
  const free = [...sessions];
  const waiting: Array<(session: OpenedSession) => void> = [];
  const take = () => (free.length > 0 ? Promise.resolve(free.pop()!) : new Promise<OpenedSession>((resolve) => waiting.push(resolve)));
  const give = (session: OpenedSession) => (waiting.length > 0 ? waiting.shift()!(session) : free.push(session));
  return async (body) => {
    const session = await take();
    const start = performance.now();
    let ttftMs: number | undefined;
    let chunks = 0;
    try {
      for await (const reply of promptSession(consumer, session, body, { signal: AbortSignal.timeout(60_000) })) {
        if (reply.done) break;
        if (chunks++ === 0) ttftMs = performance.now() - start;
      }
      return { ok: chunks > 0, totalMs: performance.now() - start, ttftMs, chunks };
    } catch (error) {
      return { ok: false, totalMs: performance.now() - start, chunks, error: (error as Error).message };
    } finally {
      give(session);
    }
  };
}

function perChunkMs(sample: Sample): number | undefined {
  if (sample.ttftMs === undefined || sample.chunks < 2) return undefined;
  return (sample.totalMs - sample.ttftMs) / (sample.chunks - 1);
}

function record(results: Results, samples: Sample[]): Sample[] {
  for (const s of samples) if (!s.ok && results.errors.length < 5) results.errors.push(s.error ?? "failed");
  return samples.filter((s) => s.ok);
}

export async function runEndToEnd(args: string[]): Promise<void> {
  const quick = args.includes("--quick");
  const settings = { ...(quick ? QUICK : FULL) };
  const streamsArg = args.find((a) => a.startsWith("--streams="));
  if (streamsArg) settings.pacedStreams = Math.max(1, Math.min(2000, Number(streamsArg.split("=")[1]) || settings.pacedStreams));
  // A cap on the gateway's V8 old space (MB), as an operator would set it in a container: RSS then shows the live set plus less headroom.
  const heapArg = args.find((a) => a.startsWith("--gateway-heap-mb="));
  const gatewayHeapMb = heapArg ? Number(heapArg.split("=")[1]) : undefined;
  if (gatewayHeapMb !== undefined && !(Number.isInteger(gatewayHeapMb) && gatewayHeapMb >= 128 && gatewayHeapMb <= 65536)) {
    throw new Error(`--gateway-heap-mb must be a whole number of MB from 128 to 65536, not ${heapArg!.split("=")[1]}`);
  }
  const profile = args.includes("--profile");
  const profileDir = profile ? path.join(root, ".bench", `profiles-${new Date().toISOString().replace(/[:.]/g, "-")}`) : undefined;
  if (profileDir) fs.mkdirSync(profileDir, { recursive: true });
  const log = (message: string) => console.error(`[bench] ${message}`);
  const started = Date.now();
  const loadBefore = os.loadavg();

  const sessionCap = Math.max(SESSION_CAP, settings.pacedStreams);
  log(`starting the stack (gateway session cap ${sessionCap} per model)…`);
  const stack = await startStack({
    sessionCap,
    directSessions: SESSION_CAP,
    profileDir,
    log,
    gatewayNodeFlags: gatewayHeapMb ? [`--max-old-space-size=${gatewayHeapMb}`] : [],
  });
  let stopped = false;
  const stop = async () => {
    if (!stopped) {
      stopped = true;
      await stack.stop();
    }
  };
  process.once("SIGINT", () => void stop().then(() => process.exit(130)));
  try {
    await measure(stack, settings, { command: `npm run bench${args.length > 0 ? ` -- ${args.join(" ")}` : ""}`, loadBefore, started, sessionCap });
  } finally {
    await stop();
  }
  if (profileDir) {
    // Per process, the profile of its busiest thread (the main one, not tsx's loader or Next's parent).
    for (const name of fs.readdirSync(profileDir)) {
      const files = fs.readdirSync(path.join(profileDir, name)).filter((f) => f.endsWith(".cpuprofile"));
      const summaries = files.map((f) => ({ file: path.join(profileDir, name, f), summary: summarizeProfile(path.join(profileDir, name, f)) }));
      const busiest = summaries.sort((a, b) => b.summary.totalMs - b.summary.idleMs - (a.summary.totalMs - a.summary.idleMs))[0];
      if (!busiest) continue;
      console.log(`\n### CPU profile of the ${name} (${path.relative(root, busiest.file)}, the busiest of ${files.length} thread profiles)\n`);
      console.log(formatSummary(busiest.summary, 20));
    }
  }
}

async function measure(stack: Stack, settings: Settings, info: { command: string; loadBefore: number[]; started: number; sessionCap: number }): Promise<void> {
  const log = (message: string) => console.error(`[bench] ${message}`);
  const gatewayAuth = { authorization: `Bearer ${stack.gateway.apiKey}` };
  const gatewayPids = () => processTree(stack.gateway.pid);
  const targets: Target[] = [
    {
      key: "direct",
      label: "(a) demo model directly",
      fast: httpSender(`${stack.demoFast.url}/chat/completions`, {}),
      paced: httpSender(`${stack.demoPaced.url}/chat/completions`, {}),
      pids: () => processTree(stack.demoFast.pid),
    },
    {
      key: "provider",
      label: "(b) provider node alone (MOR-RPC)",
      fast: consumerSender(stack.direct.consumer, stack.direct.sessions),
      pids: () => processTree(stack.provider.pid),
    },
    {
      key: "gateway",
      label: "(c) full path: /api/v1 → MOR-RPC → provider",
      fast: httpSender(`${stack.gateway.url}/api/v1/chat/completions`, gatewayAuth),
      paced: httpSender(`${stack.gateway.url}/api/v1/chat/completions`, gatewayAuth),
      pids: gatewayPids,
    },
  ];
  if ("url" in stack.portkey) {
    const portkey = stack.portkey;
    const via = (upstream: string) => ({ "x-portkey-provider": "openai", "x-portkey-custom-host": upstream, authorization: "Bearer bench-no-key" });
    targets.push({
      key: "reference",
      label: "(d) reference: Portkey gateway 1.15.2",
      fast: httpSender(`${portkey.url}/v1/chat/completions`, via(stack.demoFast.url)),
      paced: httpSender(`${portkey.url}/v1/chat/completions`, via(stack.demoPaced.url)),
      pids: () => processTree(portkey.pid),
    });
  }
  const results = new Map<TargetKey, Results>(
    targets.map((t) => [t.key, { serial: [], ttft: [], perChunk: [], satRequests: 0, satMs: 0, satCpuMs: 0, errors: [], streamCpuMs: 0, streamChunks: 0 }]),
  );
  const plain = chatBody(FAST_MODEL);
  const streamed = chatBody(FAST_MODEL, { stream: true });

  // Warm-up (not counted): JIT, connections, and the gateway's sessions up to the cap.
  log("warming up…");
  for (const target of targets) {
    const warm = [...(await runCount(target.fast, plain, 20, 1)), ...(await runCount(target.fast, plain, 4 * SESSION_CAP, SESSION_CAP)), ...(await runCount(target.fast, streamed, SESSION_CAP, SESSION_CAP))];
    const failed = warm.find((s) => !s.ok);
    if (failed) throw new Error(`${target.label}: warm-up request failed: ${failed.error}`);
  }
  const chunksPerStream = (await targets[0].fast(streamed)).chunks;

  for (let round = 0; round < settings.rounds; round++) {
    // A different order each round, so no target always runs right after another.
    const order = targets.map((_, i) => targets[(i + round) % targets.length]);
    log(`round ${round + 1}/${settings.rounds}`);
    for (const target of order) {
      const r = results.get(target.key)!;
      for (const s of record(r, await runCount(target.fast, plain, settings.serialPerRound, 1))) r.serial.push(s.totalMs);

      const streamPids = target.key === "gateway" ? [...gatewayPids(), ...processTree(stack.provider.pid)] : target.pids();
      const cpuBefore = cpuMs(streamPids);
      const streams = record(r, await runCount(target.fast, streamed, SESSION_CAP * settings.streamBatchesPerRound, SESSION_CAP));
      r.streamCpuMs += cpuMs(streamPids) - cpuBefore;
      for (const s of streams) {
        r.streamChunks += s.chunks;
        if (s.ttftMs !== undefined) r.ttft.push(s.ttftMs);
        const perChunk = perChunkMs(s);
        if (perChunk !== undefined) r.perChunk.push(perChunk);
      }

      const pids = target.pids();
      const satBefore = cpuMs(pids);
      const { samples, elapsedMs } = await runFor(target.fast, plain, settings.saturationMs, SESSION_CAP);
      r.satCpuMs += cpuMs(pids) - satBefore;
      r.satRequests += record(r, samples).length;
      r.satMs += elapsedMs;
    }
  }

  // Many slow streams at once (10 chunks/s each): how many arrive whole.
  const pacedBody = chatBody(PACED_MODEL, { stream: true, max_tokens: settings.pacedChunks });
  for (const target of targets.filter((t) => t.paced)) {
    const r = results.get(target.key)!;
    log(`${settings.pacedStreams} concurrent paced streams: ${target.label}`);
    // Warm-up at full width (the gateway opens its sessions for the paced model here).
    await runCount(target.paced!, chatBody(PACED_MODEL, { stream: true, max_tokens: 1 }), settings.pacedStreams, settings.pacedStreams);
    const expected = (await target.paced!(pacedBody)).chunks;
    let rss = 0;
    const sampler = setInterval(() => (rss = Math.max(rss, memoryMb(target.pids()).rss)), 250);
    const samples = await runCount(target.paced!, pacedBody, settings.pacedStreams, settings.pacedStreams);
    clearInterval(sampler);
    r.pacedOk = samples.filter((s) => s.ok && s.chunks === expected).length;
    r.pacedTotal = samples.length;
    r.pacedRssMb = rss;
    const whole = samples.filter((s) => s.ok && s.chunks === expected).map((s) => s.totalMs);
    r.pacedDurationMs = [percentile(whole, 50), percentile(whole, 99)];
    const bad = samples.find((s) => !(s.ok && s.chunks === expected));
    if (bad && r.errors.length < 5) r.errors.push(`paced stream: ${bad.error ?? `${bad.chunks} of ${expected} chunks`}`);
  }
  for (const target of targets) results.get(target.key)!.peakRssMb = memoryMb(target.pids()).peak;

  printTable(targets, results, settings, { ...info, chunksPerStream, stack });
}

const fmt = (n: number | undefined, digits = 1) => (n === undefined || !Number.isFinite(n) ? "—" : n.toFixed(digits));
const signed = (n: number | undefined, digits = 1) => (n === undefined || !Number.isFinite(n) ? "—" : `${n >= 0 ? "+" : ""}${n.toFixed(digits)}`);

function printTable(
  targets: Target[],
  results: Map<TargetKey, Results>,
  settings: Settings,
  info: { command: string; loadBefore: number[]; started: number; sessionCap: number; chunksPerStream: number; stack: Stack },
): void {
  const direct = results.get("direct")!;
  const base = {
    p50: percentile(direct.serial, 50),
    p99: percentile(direct.serial, 99),
    ttft50: percentile(direct.ttft, 50),
    ttft99: percentile(direct.ttft, 99),
    chunk: percentile(direct.perChunk, 50),
  };
  type Row = {
    p50: number;
    p99: number;
    add50: number;
    add99: number;
    ttft50: number;
    ttft99: number;
    addTtft50: number;
    addTtft99: number;
    chunkAdd: number;
    rps: number;
    cpuPerReq: number;
    rss: number | undefined;
  };
  const rows = new Map<TargetKey, Row>();
  for (const target of targets) {
    const r = results.get(target.key)!;
    const p50 = percentile(r.serial, 50);
    const p99 = percentile(r.serial, 99);
    const ttft50 = percentile(r.ttft, 50);
    const ttft99 = percentile(r.ttft, 99);
    rows.set(target.key, {
      p50,
      p99,
      add50: p50 - base.p50,
      add99: p99 - base.p99,
      ttft50,
      ttft99,
      addTtft50: ttft50 - base.ttft50,
      addTtft99: ttft99 - base.ttft99,
      chunkAdd: percentile(r.perChunk, 50) - base.chunk,
      rps: (r.satRequests / r.satMs) * 1000,
      cpuPerReq: r.satRequests > 0 ? r.satCpuMs / r.satRequests : NaN,
      rss: r.pacedRssMb ?? r.peakRssMb,
    });
  }

  const header = [
    "target",
    "p50 / p99 ms",
    "added p50 / p99 ms",
    "TTFT p50 / p99 ms",
    "added TTFT p50 / p99 ms",
    "added per chunk ms",
    `req/s @${SESSION_CAP}`,
    `paced streams whole`,
    "CPU ms / req",
    "RSS MB",
  ];
  const lines = [header, header.map(() => "---")];
  for (const target of targets) {
    const row = rows.get(target.key)!;
    const r = results.get(target.key)!;
    const isBase = target.key === "direct";
    lines.push([
      target.label,
      `${fmt(row.p50, 2)} / ${fmt(row.p99, 2)}`,
      isBase ? "—" : `${signed(row.add50, 2)} / ${signed(row.add99, 2)}`,
      `${fmt(row.ttft50, 2)} / ${fmt(row.ttft99, 2)}`,
      isBase ? "—" : `${signed(row.addTtft50, 2)} / ${signed(row.addTtft99, 2)}`,
      isBase ? "—" : signed(row.chunkAdd, 3),
      fmt(row.rps, 0),
      r.pacedTotal === undefined ? "—" : `${r.pacedOk} / ${r.pacedTotal}`,
      fmt(row.cpuPerReq, 2),
      fmt(row.rss, 0),
    ]);
  }
  const gateway = rows.get("gateway")!;
  const reference = rows.get("reference");
  const ratio = (a: number, b: number | undefined) => (b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? "—" : `${(a / b).toFixed(2)}×`);
  const a = rows.get("direct")!;
  lines.push(
    [
      "(c) ÷ (a)",
      `${ratio(gateway.p50, a.p50)} / ${ratio(gateway.p99, a.p99)}`,
      "—",
      `${ratio(gateway.ttft50, a.ttft50)} / ${ratio(gateway.ttft99, a.ttft99)}`,
      "—",
      "—",
      ratio(gateway.rps, a.rps),
      "—",
      ratio(gateway.cpuPerReq, a.cpuPerReq),
      ratio(gateway.rss ?? NaN, a.rss),
    ],
    [
      "(c) ÷ (d)",
      reference ? `${ratio(gateway.p50, reference.p50)} / ${ratio(gateway.p99, reference.p99)}` : "—",
      reference ? `${ratio(gateway.add50, reference.add50)} / ${ratio(gateway.add99, reference.add99)}` : "—",
      reference ? `${ratio(gateway.ttft50, reference.ttft50)} / ${ratio(gateway.ttft99, reference.ttft99)}` : "—",
      reference ? `${ratio(gateway.addTtft50, reference.addTtft50)} / ${ratio(gateway.addTtft99, reference.addTtft99)}` : "—",
      reference ? ratio(gateway.chunkAdd, reference.chunkAdd) : "—",
      reference ? ratio(gateway.rps, reference.rps) : "—",
      "—",
      reference ? ratio(gateway.cpuPerReq, reference.cpuPerReq) : "—",
      reference ? ratio(gateway.rss ?? NaN, reference.rss) : "—",
    ],
  );
  console.log("");
  for (const line of lines) console.log(`| ${line.join(" | ")} |`);

  const g = results.get("gateway")!;
  const loadAfter = os.loadavg();
  const cpu = os.cpus();
  console.log("");
  console.log(`Streamed CPU per chunk, gateway + provider processes together: ${fmt(g.streamCpuMs / Math.max(1, g.streamChunks), 3)} ms (${g.streamChunks} chunks, per-request work included).`);
  const paced = targets.filter((t) => results.get(t.key)!.pacedDurationMs);
  if (paced.length > 0) {
    const nominal = ((settings.pacedChunks - 1) * PACED_TOKEN_DELAY_MS) / 1000;
    const durations = paced.map((t) => {
      const [p50, p99] = results.get(t.key)!.pacedDurationMs!;
      return `${t.label.split(" ")[0]} ${fmt(p50 / 1000, 2)} / ${fmt(p99 / 1000, 2)} s`;
    });
    console.log(`Paced streams, time to receive a whole stream p50 / p99 (about ${fmt(nominal, 1)} s at 10 chunks/s; longer means the chunks came slower): ${durations.join(", ")}.`);
  }
  console.log(
    `How it was made: ${info.command}, ${new Date().toISOString()}; ${cpu.length} × ${cpu[0]?.model.trim() ?? "?"}, ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, node ${process.version}; load average ${info.loadBefore.map((l) => l.toFixed(1)).join(" ")} before, ` +
      `${loadAfter.map((l) => l.toFixed(1)).join(" ")} after (a load far above ${cpu.length} means a shared, busy machine: absolute figures are noisy, ratios within the run hold better).`,
  );
  console.log(
    `Run lengths: ${settings.rounds} interleaved rounds per target, each ${settings.serialPerRound} requests one at a time, ${settings.streamBatchesPerRound * SESSION_CAP} streams ${SESSION_CAP} at a time ` +
      `(${info.chunksPerStream} chunks each), ${settings.saturationMs / 1000} s closed loop at ${SESSION_CAP} concurrent (the session cap); then ${settings.pacedStreams} concurrent streams of ` +
      `${settings.pacedChunks} chunks at ${1000 / PACED_TOKEN_DELAY_MS}/s (gateway session cap raised to ${info.sessionCap}). Total ${Math.round((Date.now() - info.started) / 1000)} s.`,
  );
  console.log(
    "Columns: added = minus (a) at the same percentile; TTFT with 8 concurrent streams; per chunk = median over streams of (end − first chunk)/(chunks − 1), minus (a)'s; " +
      "CPU ms / req = CPU time of that target's own server process (gateway: next-server; provider: the provider node; (a): the demo model) during the closed-loop runs ÷ requests; " +
      "RSS = peak sampled during the paced streams (else the process's peak).",
  );
  for (const target of targets) {
    const errors = results.get(target.key)!.errors;
    if (errors.length > 0) console.log(`Errors at ${target.label}: ${errors.join(" | ")}`);
  }
  const gatewayErrors = info.stack.gateway
    .output()
    .split("\n")
    .filter((line) => /error|refus|fail/i.test(line));
  if (gatewayErrors.length > 0) console.log(`Gateway log, ${gatewayErrors.length} error lines, the last 5:\n${gatewayErrors.slice(-5).map((l) => `  ${l.slice(0, 300)}`).join("\n")}`);
  if ("error" in info.stack.portkey) console.log(`Reference gateway unavailable: ${info.stack.portkey.error}`);
}
