// The gateway as one object per server process: model directory, key verifier, rate limiter,
// usage writer and, when GATEWAY_PRIVATE_KEY is set, the session manager with the gateway wallet.
// Built once (kept on globalThis so hot reloads do not start a second pool) and started from
// instrumentation.ts at server start; route handlers await the same instance.
import "server-only";
import os from "node:os";
import type { Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { apiKeyVerifier, type ApiKeyVerifier } from "@/lib/auth";
import { chainConfig, publicClient } from "@/lib/chain/config";
import { createConsumer, type Consumer } from "@/lib/consumer";
import { db } from "@/lib/db";
import { env } from "@/lib/env";
import { assertNativeSecp256k1 } from "@/lib/morrpc";
import { redactUrls } from "@/lib/redact";
import type { ModelOffer } from "@/lib/chain/catalog";
import type { PromptTimeouts } from "./inference";
import { ModelDirectory, type GatewayModel } from "./models";
import { ConcurrencyLimiter, FailedAuthLimiter, gatewayRateLimiter, type RateLimiter } from "./rate-limit";
import { DEFAULT_RATING_WEIGHTS, parseRatingWeights } from "./rating";
import { SessionManager, type GatewayLog } from "./session-manager";
import { UsageWriter } from "./usage";

export interface Gateway {
  directory: ModelDirectory;
  keys: ApiKeyVerifier;
  limits: RateLimiter;
  /** Failed authentications per client address. */
  authFailures: FailedAuthLimiter;
  /** Requests running at once per key. */
  concurrency: ConcurrencyLimiter;
  usage: UsageWriter;
  /** Absent when no gateway wallet is configured: /api/v1 then lists models but serves no inference. */
  inference?: { sessions: SessionManager; consumer: Consumer };
  /** How long `model` may take to its first reply and between chunks (GATEWAY_MODEL_TIMEOUTS, else the defaults). */
  timeoutsFor(model: GatewayModel): PromptTimeouts;
  /** Pause between liveness pings of a provider that sends nothing (0 = none). */
  livenessPingMs: number;
  maxBodyBytes: number;
  /** Longest a client may take to send its body. */
  bodyTimeoutMs: number;
  /** Operator maxima of what a request may ask a provider for. */
  maxN: number;
  maxTokens: number;
  log: GatewayLog;
  shutdown(): Promise<void>;
}

const log: GatewayLog = {
  info: (message) => console.log(`[gateway] ${message}`),
  // Error texts can quote a failed RPC request's URL, which may hold the RPC provider's API key.
  error: (message) => console.error(`[gateway] ${redactUrls(message)}`),
};

async function buildGateway(): Promise<Gateway> {
  const config = env();
  const chain = chainConfig();
  const ctx = { client: publicClient(chain), diamond: chain.diamond, mor: chain.mor };
  const directory = modelDirectory();
  const usage = new UsageWriter(db(), log);
  const limits = gatewayRateLimiter(db(), log);
  let inference: Gateway["inference"];
  if (config.GATEWAY_PRIVATE_KEY) {
    assertNativeSecp256k1(); // an ECDH and a verification per streamed chunk: never on the slow fallback
    const consumer = await createConsumer(ctx, config.GATEWAY_PRIVATE_KEY, privateKeyToAccount(config.GATEWAY_PRIVATE_KEY), {
      approveSessions: config.GATEWAY_APPROVE_SESSIONS,
    });
    const sessions = new SessionManager({
      db: db(),
      consumer,
      directory,
      instanceId: config.GATEWAY_INSTANCE_ID ?? `${os.hostname()}:${config.PORT}`,
      sessionSeconds: config.GATEWAY_SESSION_SECONDS,
      maxSessionsPerModel: config.GATEWAY_MAX_SESSIONS_PER_MODEL,
      maxSessionsTotal: config.GATEWAY_MAX_SESSIONS,
      maxOpeningsPerProviderPerMinute: config.GATEWAY_MAX_OPENINGS_PER_PROVIDER_PER_MINUTE,
      maxStakePerSession: config.GATEWAY_MAX_STAKE_PER_SESSION,
      maxTotalStake: config.GATEWAY_MAX_TOTAL_STAKE,
      idleCloseMs: config.GATEWAY_SESSION_IDLE_SECONDS * 1000,
      renewBeforeSeconds: config.GATEWAY_RENEW_BEFORE_SECONDS,
      directPayment: config.GATEWAY_DIRECT_PAYMENT,
      providerCooldownMs: config.GATEWAY_PROVIDER_COOLDOWN_SECONDS * 1000,
      acquireTimeoutMs: config.GATEWAY_ACQUIRE_TIMEOUT_MS,
      maintenanceIntervalMs: config.GATEWAY_MAINTENANCE_INTERVAL_MS,
      receiptGiveUpMs: config.GATEWAY_RECEIPT_GIVE_UP_SECONDS * 1000,
      parkIdleMs: config.GATEWAY_SESSION_PARK_MS,
      log,
    });
    await sessions.start();
    inference = { sessions, consumer };
    log.info(`session pool of wallet ${consumer.account.address} on chain ${consumer.chainId} started`);
  } else {
    log.info("GATEWAY_PRIVATE_KEY is not set: /api/v1 lists models but cannot serve inference");
  }
  return {
    directory,
    keys: apiKeyVerifier(),
    limits,
    authFailures: new FailedAuthLimiter(config.GATEWAY_AUTH_FAILURES_PER_MINUTE),
    concurrency: new ConcurrencyLimiter(config.GATEWAY_MAX_CONCURRENT_PER_KEY),
    usage,
    inference,
    timeoutsFor: (model) => {
      // The model as a request may name it: its id, its name or its 0x model id.
      const own = [model.id, model.name, model.modelId].map((k) => config.GATEWAY_MODEL_TIMEOUTS.get(k)).find(Boolean);
      return { firstByteMs: own?.firstByteMs ?? config.GATEWAY_FIRST_BYTE_TIMEOUT_MS, idleMs: own?.idleMs ?? config.GATEWAY_STREAM_IDLE_TIMEOUT_MS };
    },
    livenessPingMs: config.GATEWAY_LIVENESS_PING_MS,
    maxBodyBytes: config.GATEWAY_MAX_BODY_BYTES,
    bodyTimeoutMs: config.GATEWAY_BODY_TIMEOUT_MS,
    maxN: config.GATEWAY_MAX_N,
    maxTokens: config.GATEWAY_MAX_TOKENS,
    log,
    async shutdown() {
      await inference?.sessions.stop();
      await Promise.all([usage.close(), apiKeyVerifier().flushUsage(), limits.stop()]);
    },
  };
}

const globalForGateway = globalThis as unknown as { morpheusGateway?: Promise<Gateway>; morpheusModels?: ModelDirectory };

/**
 * The process's model directory and its catalog cache, shared by /api/v1 and the site's pages.
 * Apart from the gateway (no wallet, database or I/O to build), so pages work when it does not.
 */
export function modelDirectory(): ModelDirectory {
  if (!globalForGateway.morpheusModels) {
    const config = env();
    const chain = chainConfig();
    globalForGateway.morpheusModels = new ModelDirectory(
      { client: publicClient(chain), diamond: chain.diamond },
      {
        weights: config.GATEWAY_RATING_WEIGHTS ? parseRatingWeights(config.GATEWAY_RATING_WEIGHTS) : DEFAULT_RATING_WEIGHTS,
        providerAllowlist: config.GATEWAY_PROVIDER_ALLOWLIST as Address[],
        maxPricePerSecond: config.GATEWAY_MAX_PRICE_PER_HOUR === undefined ? undefined : config.GATEWAY_MAX_PRICE_PER_HOUR / 3600n,
        // Providers on the local chain run on this machine; on a public chain such an endpoint points into the gateway's network.
        allowPrivateEndpoints: config.CHAIN === "local",
      },
    );
  }
  return globalForGateway.morpheusModels;
}

/** The on-chain model catalog (models with their bids) for the site's pages, from the gateway's cache. */
export function modelCatalog(): Promise<ModelOffer[]> {
  return modelDirectory().offers();
}

/** The process's gateway, built on first use; a failed build is retried by the next call. */
export function getGateway(): Promise<Gateway> {
  globalForGateway.morpheusGateway ??= buildGateway().catch((error) => {
    globalForGateway.morpheusGateway = undefined;
    throw error;
  });
  return globalForGateway.morpheusGateway;
}

/**
 * At process exit: shuts down the gateway the process has now — whichever build succeeded, at
 * boot or later on a request's retry — so its queued usage records are written. Nothing to do
 * when no build ever succeeded.
 */
export async function shutdownGateway(): Promise<void> {
  const current = globalForGateway.morpheusGateway;
  if (!current) return;
  const gateway = await current.catch(() => undefined);
  await gateway?.shutdown();
}
