// Which providers of the catalog answer a MOR-RPC ping, and how fast: measured in the background
// on an interval (never per page view), with bounded concurrency and an absolute deadline per
// ping, so a dead or hanging provider costs one slot for at most the deadline.
import "server-only";
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { Address } from "viem";
import { isPrivateEndpointHost, parseEndpoint } from "@/lib/morrpc/endpoint";
import { mapBounded } from "@/lib/map-bounded";
import { createPrivateKey, pingProvider } from "@/lib/morrpc";
import { describeError } from "@/lib/redact";

export interface PingTarget {
  provider: Address;
  /** host:port from the provider's on-chain registration. */
  endpoint: string;
}

export interface ProviderHealth extends PingTarget {
  up: boolean;
  /** Round trip of the ping, when it answered. */
  latencyMs?: number;
  /** The provider node's version, when it said. */
  version?: string;
  /** Why it is down (a short message, no stack). */
  error?: string;
  /** Why it was not pinged at all (then up is false and error unset). */
  skipped?: string;
  checkedAt: Date;
}

export interface PingRound {
  startedAt: Date;
  finishedAt: Date;
  providers: ProviderHealth[];
  /** Set when the list of providers itself could not be read (providers then lists the last known round's). */
  error?: string;
}

export type PingFn = (target: PingTarget, signal: AbortSignal) => Promise<{ latencyMs: number; version?: string }>;

export interface ProviderPingerOptions {
  /** The providers to check: the catalog's bids' providers. */
  targets: () => Promise<PingTarget[]>;
  /** Pause between the end of one round and the start of the next. */
  intervalMs?: number;
  /** Absolute limit of one ping, dial to pong. */
  deadlineMs?: number;
  /** Pings in flight at once. */
  concurrency?: number;
  /** Providers checked per round at most (the rest are reported as not checked). */
  maxTargets?: number;
  /**
   * Also ping endpoints on loopback or private addresses (the local chain). Off on live networks:
   * an endpoint is whatever a provider registered, and the server must not probe its own network.
   */
  allowPrivate?: boolean;
  ping?: PingFn;
  log?: (message: string) => void;
}

export const PINGER_DEFAULTS = { intervalMs: 30_000, deadlineMs: 5_000, concurrency: 8, maxTargets: 500 } as const;

/** A MOR-RPC ping signed by a throwaway key: providers answer anyone, and this key holds nothing. */
export function morRpcPing(): PingFn {
  const key = { privateKey: createPrivateKey() };
  return (target, signal) => {
    const ms = { dialMs: PINGER_DEFAULTS.deadlineMs, firstByteMs: PINGER_DEFAULTS.deadlineMs, idleMs: PINGER_DEFAULTS.deadlineMs };
    return pingProvider(target.endpoint, target.provider, key, { signal, timeouts: ms });
  };
}

/** After the deadline aborted a ping, how long its slot waits for the ping to let go of its socket. */
const ABORT_GRACE_MS = 1_000;

/**
 * Runs `ping`, failing it at `deadlineMs` whether or not it honours the abort signal. The slot is
 * held until the aborted ping has settled (at most ABORT_GRACE_MS more), so no more pings than
 * the concurrency limit ever hold a socket.
 */
async function pingWithDeadline(ping: PingFn, target: PingTarget, deadlineMs: number): Promise<{ latencyMs: number; version?: string }> {
  const controller = new AbortController();
  const running = ping(target, controller.signal);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"deadline">((resolve) => {
    timer = setTimeout(() => resolve("deadline"), deadlineMs);
  });
  try {
    const first = await Promise.race([running, deadline]);
    if (first !== "deadline") return first;
  } finally {
    clearTimeout(timer);
  }
  const error = new Error(`no answer within ${deadlineMs} ms`);
  controller.abort(error);
  let grace: NodeJS.Timeout | undefined;
  await Promise.race([running.catch(() => undefined), new Promise((resolve) => (grace = setTimeout(resolve, ABORT_GRACE_MS)))]);
  clearTimeout(grace);
  throw error;
}

export class ProviderPinger {
  private readonly o: Required<Omit<ProviderPingerOptions, "log">> & { log: (message: string) => void };
  private last: PingRound | undefined;
  private running: Promise<PingRound> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(options: ProviderPingerOptions) {
    this.o = {
      intervalMs: PINGER_DEFAULTS.intervalMs,
      deadlineMs: PINGER_DEFAULTS.deadlineMs,
      concurrency: PINGER_DEFAULTS.concurrency,
      maxTargets: PINGER_DEFAULTS.maxTargets,
      allowPrivate: false,
      ping: morRpcPing(),
      log: () => {},
      ...options,
    };
  }

  /** The last finished round; undefined until the first one ends. */
  latest(): PingRound | undefined {
    return this.last;
  }

  /** Checks now (or joins the round in progress). */
  checkNow(): Promise<PingRound> {
    this.running ??= this.round().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** First round at once, then one every intervalMs after the previous ends (rounds never overlap). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const loop = () => {
      void this.checkNow().finally(() => {
        if (this.stopped) return;
        this.timer = setTimeout(loop, this.o.intervalMs);
        this.timer.unref(); // never keeps the process alive on its own
      });
    };
    loop();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async round(): Promise<PingRound> {
    const startedAt = new Date();
    let targets: PingTarget[];
    try {
      targets = dedupe(await this.o.targets()).slice(0, this.o.maxTargets);
    } catch (error) {
      // The details (an RPC error quotes the whole request) go to the log; the page gets one line.
      this.o.log(`provider status: the catalog could not be read: ${describeError(error)}`);
      this.last = { startedAt, finishedAt: new Date(), providers: this.last?.providers ?? [], error: "the model catalog could not be read from the chain" };
      return this.last;
    }
    const providers = await mapBounded(targets, this.o.concurrency, async (target): Promise<ProviderHealth> => {
      try {
        const refused = await this.screen(target);
        if (refused) return { ...target, up: false, skipped: refused, checkedAt: new Date() };
        const pong = await pingWithDeadline(this.o.ping, target, this.o.deadlineMs);
        return { ...target, up: true, latencyMs: pong.latencyMs, version: pong.version, checkedAt: new Date() };
      } catch (error) {
        return { ...target, up: false, error: firstLine(describeError(error)).slice(0, 200), checkedAt: new Date() };
      }
    });
    this.last = { startedAt, finishedAt: new Date(), providers };
    return this.last;
  }

  /** Why the endpoint is not pinged, or undefined to ping it. */
  private async screen(target: PingTarget): Promise<string | undefined> {
    const endpoint = parseEndpoint(target.endpoint);
    if (!endpoint) return "the registered endpoint is not host:port";
    if (this.o.allowPrivate) return undefined;
    if (isPrivateEndpointHost(endpoint.host)) return "a private or loopback address";
    if (isIP(endpoint.host)) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${endpoint.host} did not resolve within ${this.o.deadlineMs} ms`)), this.o.deadlineMs);
    });
    try {
      const addresses = await Promise.race([lookup(endpoint.host, { all: true }), timeout]);
      return addresses.some((a) => isPrivateEndpointHost(a.address)) ? "the name resolves to a private or loopback address" : undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0].trim();
}

function dedupe(targets: PingTarget[]): PingTarget[] {
  const seen = new Map<string, PingTarget>();
  for (const t of targets) seen.set(`${t.provider.toLowerCase()} ${t.endpoint}`, t);
  return [...seen.values()];
}
