// Shared set-up of the provider node tests: one anvil per test file with the marketplace deployed,
// providers seeded on it, demo models and provider nodes (in-process or as the real CLI in a
// child process), consumers, and helpers to read replies and expect protocol errors. Everything
// started here is registered with a Cleanup so afterAll stops it, in reverse order.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createPublicClient, http, type Address, type Hex, type PublicClient } from "viem";
import { foundry } from "viem/chains";
import { expect } from "vitest";
import { devAccounts, devPrivateKey, startAnvil, type Anvil } from "@/lib/chain/anvil";
import { morTokenAbi } from "@/lib/chain/contracts.generated";
import { deployMarketplace, seedDemoProvider, type DeployedMarketplace } from "@/lib/chain/deploy";
import { baseModelIdFor, modelIdOf, type ChainContext } from "@/lib/chain/writes";
import { createConsumer, type Consumer } from "@/lib/consumer";
import { startDemoModel, type DemoModel, type DemoModelOptions } from "@/lib/demo-model";
import { MorRpcError, type MorRpcErrorCode, type PromptReply } from "@/lib/morrpc";
import { parseModelsConfig, startProviderNode, type ModelsConfig, type ProviderNode } from "@/lib/provider";

export const root = path.resolve(import.meta.dirname, "../..");
/** 0.36 MOR per hour. */
export const PRICE = 10n ** 14n;

/** Stops what a test file started, last started first; one failure does not skip the rest. */
export class Cleanup {
  private readonly steps: Array<() => Promise<unknown> | unknown> = [];

  add(step: () => Promise<unknown> | unknown): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, "cleanup failed");
  }
}

// --- chain ------------------------------------------------------------------------------------

export interface TestChain {
  anvil: Anvil;
  deployed: DeployedMarketplace;
  /** The tests' view of the chain (consumers and assertions). */
  ctx: ChainContext;
  client: PublicClient;
}

function clientFor(rpcUrl: string): PublicClient {
  return createPublicClient({ chain: foundry, transport: http(rpcUrl), pollingInterval: 100 }) as PublicClient;
}

export async function startChain(cleanup: Cleanup): Promise<TestChain> {
  const anvil = await startAnvil({ silent: true });
  cleanup.add(() => anvil.stop());
  const deployed = await deployMarketplace({ rpcUrl: anvil.rpcUrl, deployer: devAccounts[0] });
  const client = clientFor(anvil.rpcUrl);
  return { anvil, deployed, client, ctx: { client, diamond: deployed.diamond, mor: deployed.mor } };
}

/** The model id seedDemoProvider gives `name` registered by dev account `providerIndex`. */
export function modelIdFor(providerIndex: number, name: string): Hex {
  return modelIdOf(devAccounts[providerIndex].address, baseModelIdFor(name));
}

/** Registers dev account `providerIndex` at `endpoint` with a model `name` and a bid at `price`. */
export async function seedProvider(
  chain: TestChain,
  { providerIndex, endpoint, name, price = PRICE }: { providerIndex: number; endpoint: string; name: string; price?: bigint },
): Promise<{ modelId: Hex; bidId: Hex }> {
  return seedDemoProvider({
    rpcUrl: chain.anvil.rpcUrl,
    diamond: chain.deployed.diamond,
    mor: chain.deployed.mor,
    funder: devAccounts[0],
    provider: devAccounts[providerIndex],
    endpoint,
    model: { name, tags: ["test"] },
    pricePerSecond: price,
  });
}

export async function morBalance(chain: TestChain, account: Address): Promise<bigint> {
  return chain.client.readContract({ address: chain.deployed.mor, abi: morTokenAbi, functionName: "balanceOf", args: [account] });
}

export async function consumerFor(chain: TestChain, index: number): Promise<Consumer> {
  // Its own client, as a consumer would have: nothing shared with the provider node.
  const client = clientFor(chain.anvil.rpcUrl);
  return createConsumer({ client, diamond: chain.deployed.diamond, mor: chain.deployed.mor }, devPrivateKey(devAccounts[index]), devAccounts[index]);
}

// --- demo models and provider nodes -------------------------------------------------------------

export async function startDemo(cleanup: Cleanup, options: Omit<DemoModelOptions, "port"> = {}): Promise<DemoModel> {
  const demo = await startDemoModel({ port: 0, ...options });
  cleanup.add(() => demo.close());
  return demo;
}

export interface ModelEntry {
  modelId: Hex;
  /** The demo model's base URL (…/v1); the config gets the full chat endpoint, as in the Go docs. */
  url: string;
  apiKey?: string;
  concurrentSlots?: number;
}

/** A models config (validated like a real one) mapping on-chain model ids to demo models. */
export function modelsConfig(entries: ModelEntry[]): ModelsConfig {
  return parseModelsConfig(JSON.stringify(modelsConfigJson(entries)));
}

export function modelsConfigJson(entries: ModelEntry[]) {
  return {
    models: entries.map((e) => ({
      modelId: e.modelId,
      modelName: "morpheus-demo-chat",
      apiType: "openai",
      apiUrl: `${e.url}/chat/completions`,
      ...(e.apiKey !== undefined ? { apiKey: e.apiKey } : {}),
      ...(e.concurrentSlots !== undefined ? { concurrentSlots: e.concurrentSlots } : {}),
    })),
  };
}

export interface InProcessProvider {
  node: ProviderNode;
  endpoint: string;
  /** Everything the node logged, for failure messages. */
  logs: string[];
}

export async function startProvider(
  cleanup: Cleanup,
  chain: TestChain,
  { providerIndex, models }: { providerIndex: number; models: ModelsConfig },
): Promise<InProcessProvider> {
  const logs: string[] = [];
  const node = await startProviderNode({
    privateKey: devPrivateKey(devAccounts[providerIndex]),
    models,
    // The node's own client, as in production.
    reader: { client: clientFor(chain.anvil.rpcUrl), diamond: chain.deployed.diamond },
    host: "127.0.0.1",
    port: 0,
    log: { info: (m) => logs.push(`info: ${m}`), error: (m) => logs.push(`error: ${m}`) },
  });
  cleanup.add(() => node.close(1_000));
  return { node, endpoint: `127.0.0.1:${node.port}`, logs };
}

// --- the provider CLI (scripts/provider.ts) as a child process ----------------------------------

export function tempDir(cleanup: Cleanup, prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanup.add(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * The environment of a CLI run: only what is given, with every variable the script reads set
 * (empty = unset), so neither this process's environment nor a developer's .env leaks in.
 */
export type CliEnv = Record<string, string | undefined>;

export function cliEnv(chain: TestChain, vars: CliEnv): CliEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CHAIN: "local",
    RPC_URL: chain.anvil.rpcUrl,
    DIAMOND_ADDRESS: chain.deployed.diamond,
    MOR_TOKEN_ADDRESS: chain.deployed.mor,
    PROVIDER_PRIVATE_KEY: "",
    PROVIDER_ADDRESS: "",
    MODELS_CONFIG_CONTENT: "",
    MODELS_CONFIG_PATH: "",
    PROVIDER_LISTEN_ADDRESS: "",
    DATA_DIR: "",
    LLM_TIMEOUT_MS: "",
    ...vars,
  };
}

function spawnCli(args: string[], env: CliEnv): ChildProcess {
  // (Next's typings make NODE_ENV a required ProcessEnv key; the script defaults it.)
  return spawn(process.execPath, ["--import", "tsx", "scripts/provider.ts", ...args], { cwd: root, env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm run provider -- <args>` to its end. */
export function runCli(args: string[], env: CliEnv): Promise<CliResult> {
  const child = spawnCli(args, env);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

export interface ProviderProcess {
  child: ChildProcess;
  endpoint: string;
  output(): string;
  /** Resolves when the process has exited (at once if it already has). */
  exited: Promise<void>;
}

/** Starts `provider serve --listen 127.0.0.1:0` and resolves once it logs the port it listens on. */
export async function startProviderProcess(cleanup: Cleanup, env: CliEnv): Promise<ProviderProcess> {
  const child = spawnCli(["serve", "--listen", "127.0.0.1:0"], env);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  cleanup.add(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  });
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = / over MOR-RPC on 127\.0\.0\.1:(\d+) /.exec(output);
      if (match) resolve(Number(match[1]));
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code, signal) => reject(new Error(`provider exited (${signal ?? code}) before listening:\n${output}`)));
  });
  return { child, endpoint: `127.0.0.1:${port}`, output: () => output, exited };
}

// --- replies and errors -------------------------------------------------------------------------

export interface TimedReply {
  reply: PromptReply;
  at: number;
}

/** Reads a prompt's replies to the end, with the time each arrived. */
export async function collect(replies: AsyncIterable<PromptReply>): Promise<TimedReply[]> {
  const out: TimedReply[] = [];
  for await (const reply of replies) out.push({ reply, at: performance.now() });
  return out;
}

export function dataOf(replies: TimedReply[]): Array<Record<string, unknown>> {
  return replies.flatMap(({ reply }) => (reply.done ? [] : [reply.data as Record<string, unknown>]));
}

/** Concatenated delta contents of a streamed chat completion. */
export function streamedText(replies: TimedReply[]): string {
  return dataOf(replies)
    .flatMap((chunk) => (chunk.choices as Array<{ delta?: { content?: string } }>) ?? [])
    .map((choice) => choice.delta?.content ?? "")
    .join("");
}

/** Expects `run` to throw a MorRpcError with `code` and a message matching `message`. */
export async function expectMorRpcError(run: Promise<unknown> | (() => Promise<unknown>), code: MorRpcErrorCode, message: string | RegExp): Promise<MorRpcError> {
  const error = await (typeof run === "function" ? run() : run).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected MorRpcError ${code}`).toBeInstanceOf(MorRpcError);
  const e = error as MorRpcError;
  expect({ code: e.code, message: e.message }).toEqual({ code, message: typeof message === "string" ? message : expect.stringMatching(message) });
  return e;
}

/** Retries `check` until it stops throwing or `timeoutMs` passes, for effects the node picks up by polling. */
export async function eventually<T>(check: () => Promise<T>, { timeoutMs = 5_000, intervalMs = 100 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

export const CHAT = { messages: [{ role: "user", content: "Hello from the provider tests <&>" }] };
