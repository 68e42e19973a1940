// The local chain: anvil from the @foundry-rs/anvil npm package (its platform package ships the
// binary), the standard dev accounts, and time-travel helpers for tests. An anvil started here
// never outlives this process: stopped on exit, and on Linux killed by the kernel if we die.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { Hex } from "viem";
import { ANVIL_CHAIN_ID } from "./dev-accounts";

// The dev accounts live apart, so app code (the faucet) can use them without bundling this module's binary lookup.
export { ANVIL_CHAIN_ID, DEV_MNEMONIC, devAccounts, devPrivateKey } from "./dev-accounts";

export interface AnvilOptions {
  /** Default: a free port chosen by anvil itself (safe with tests in parallel processes). */
  port?: number;
  /** Load the chain from this file if it exists, and dump it there on exit (anvil --state). */
  stateFile?: string;
  /** Discard anvil's own output (it logs every RPC call) instead of passing it to stdout. */
  silent?: boolean;
  /** How long to wait for anvil to answer JSON-RPC. */
  startTimeoutMs?: number;
}

export interface Anvil {
  rpcUrl: string;
  port: number;
  pid: number;
  /** SIGTERM (anvil then writes its state file), wait for the exit; SIGKILL if it hangs. */
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** The anvil binary of @foundry-rs/anvil's platform package (@foundry-rs/anvil-linux-amd64, …). */
export function anvilBinaryPath(): string {
  const arch = ({ x64: "amd64", arm64: "arm64" } as Record<string, string>)[process.arch];
  const pkg = `@foundry-rs/anvil-${process.platform}-${arch}`;
  const binary = process.platform === "win32" ? "anvil.exe" : "anvil";
  try {
    return require.resolve(`${pkg}/bin/${binary}`);
  } catch {
    throw new Error(`No anvil binary for ${process.platform}/${process.arch}: ${pkg} is not installed (run npm install).`);
  }
}

/** setpriv(1) on Linux: makes the kernel send anvil SIGTERM when this process dies, even by SIGKILL. */
function parentDeathWrapper(): string | undefined {
  if (process.platform !== "linux") return undefined;
  const dirs = (process.env.PATH ?? "").split(path.delimiter).concat(["/usr/bin", "/bin"]);
  return dirs.map((dir) => path.join(dir, "setpriv")).find((candidate) => fs.existsSync(candidate));
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers run synchronously; kill() is a plain syscall, so it still gets through.
  process.on("exit", () => {
    for (const child of running) child.kill("SIGTERM");
  });
}

export async function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  const args = ["--host", "127.0.0.1", "--port", String(options.port ?? 0), "--chain-id", String(ANVIL_CHAIN_ID)];
  if (options.stateFile) {
    fs.mkdirSync(path.dirname(options.stateFile), { recursive: true });
    args.push("--state", options.stateFile);
  }
  const binary = anvilBinaryPath();
  const wrapper = parentDeathWrapper();
  const child = wrapper
    ? spawn(wrapper, ["--pdeathsig", "TERM", "--", binary, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    : spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  installExitHook();
  running.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      running.delete(child);
      resolve();
    }),
  );

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(killer);
    }
  };

  try {
    const port = await listeningPort(child, options.startTimeoutMs ?? 20_000);
    if (options.silent) {
      child.stdout?.resume();
      child.stderr?.resume();
    } else {
      child.stdout?.pipe(process.stdout, { end: false });
      child.stderr?.pipe(process.stderr, { end: false });
    }
    const rpcUrl = `http://127.0.0.1:${port}`;
    const chainId = await jsonRpc<Hex>(rpcUrl, "eth_chainId", []);
    if (Number(chainId) !== ANVIL_CHAIN_ID) throw new Error(`anvil answered with chain id ${Number(chainId)}`);
    return { rpcUrl, port, pid: child.pid ?? -1, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Reads anvil's "Listening on 127.0.0.1:<port>" line; fails with its output if it exits first. */
function listeningPort(child: ChildProcess, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => finish(new Error(`anvil did not start within ${timeoutMs} ms:\n${output.slice(-2000)}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Listening on [\d.]+:(\d+)/.exec(output);
      if (match) finish(undefined, Number(match[1]));
    };
    const onExit = (code: number | null, signal: string | null) =>
      finish(new Error(`anvil exited (${signal ?? `code ${code}`}) before listening:\n${output.slice(-2000)}`));
    const finish = (error?: Error, port?: number) => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve(port as number);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

async function jsonRpc<T>(rpcUrl: string, method: string, params: unknown[]): Promise<T> {
  const response = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

// --- time travel (tests) ---------------------------------------------------------------------

/** Moves the chain clock forward and mines a block at the new time. */
export async function increaseTime(rpcUrl: string, seconds: number | bigint): Promise<void> {
  await jsonRpc(rpcUrl, "evm_increaseTime", [Number(seconds)]);
  await jsonRpc(rpcUrl, "evm_mine", []);
}

/** Mines a block with exactly this timestamp (seconds); later blocks continue from it. */
export async function mineAt(rpcUrl: string, timestamp: number | bigint): Promise<void> {
  await jsonRpc(rpcUrl, "evm_mine", [Number(timestamp)]);
}

/** The next transaction's block gets exactly this timestamp. */
export async function setNextBlockTimestamp(rpcUrl: string, timestamp: number | bigint): Promise<void> {
  await jsonRpc(rpcUrl, "evm_setNextBlockTimestamp", [Number(timestamp)]);
}
