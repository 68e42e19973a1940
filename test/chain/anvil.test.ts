// lib/chain/anvil: the binary from the npm package, free ports, state persistence through a
// SIGTERM, no orphans, the dev accounts and the time helpers.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createPublicClient, http } from "viem";
import { foundry } from "viem/chains";
import { afterAll, describe, expect, it } from "vitest";
import { ANVIL_CHAIN_ID, devAccounts, devPrivateKey, increaseTime, mineAt, setNextBlockTimestamp, startAnvil, type Anvil } from "@/lib/chain/anvil";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "anvil-test-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return condition();
}

const clientOf = (anvil: Anvil) => createPublicClient({ chain: foundry, transport: http(anvil.rpcUrl) });

describe("devAccounts", () => {
  it("are the standard anvil / Hardhat accounts of the test mnemonic", () => {
    expect(devAccounts).toHaveLength(10);
    expect(devAccounts[0].address).toBe("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    expect(devAccounts[1].address).toBe("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    expect(devAccounts[9].address).toBe("0xa0Ee7A142d267C1f36714E4a8F75612F20a79720");
    expect(devPrivateKey(devAccounts[0])).toBe("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
  });
});

describe("startAnvil", () => {
  it("starts on distinct free ports with chain id 31337, funds the dev accounts, and stops by PID", async () => {
    const [a, b] = await Promise.all([startAnvil({ silent: true }), startAnvil({ silent: true })]);
    try {
      expect(a.port).not.toBe(b.port);
      expect(await clientOf(a).getChainId()).toBe(ANVIL_CHAIN_ID);
      expect(await clientOf(b).getBalance({ address: devAccounts[1].address })).toBeGreaterThan(0n);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    expect(isRunning(a.pid)).toBe(false);
    expect(isRunning(b.pid)).toBe(false);
    await a.stop(); // idempotent
  });

  it("persists the chain to stateFile on stop (SIGTERM) and loads it on the next start", async () => {
    const stateFile = path.join(tmp, "nested", "state.json");
    const first = await startAnvil({ silent: true, stateFile });
    await increaseTime(first.rpcUrl, 3600);
    await increaseTime(first.rpcUrl, 60);
    const block = await clientOf(first).getBlock({ blockTag: "latest" });
    await first.stop();
    expect(fs.existsSync(stateFile)).toBe(true);

    const second = await startAnvil({ silent: true, stateFile });
    try {
      const reloaded = await clientOf(second).getBlock({ blockTag: "latest" });
      expect(reloaded.number).toBe(block.number);
      expect(reloaded.hash).toBe(block.hash);
    } finally {
      await second.stop();
    }
  });

  it("uses the port it is given, and fails clearly when that port is taken", async () => {
    const first = await startAnvil({ silent: true });
    try {
      await expect(startAnvil({ silent: true, port: first.port })).rejects.toThrow(/anvil exited|did not start/);
    } finally {
      await first.stop();
    }
  });

  it.each(["exit", "hang"])("leaves no orphan anvil when its parent process ends (%s)", async (mode) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "anvil-child.ts"), mode], { stdio: ["ignore", "pipe", "inherit"] });
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("\n")) resolve(out.split("\n")[0]);
      });
      child.once("exit", (code) => reject(new Error(`child exited (${code}) before reporting: ${out}`)));
    });
    const { pid } = JSON.parse(line) as { pid: number };
    expect(isRunning(pid)).toBe(true);
    if (mode === "hang") child.kill("SIGKILL");
    // "exit": the exit hook stops it; "hang" + SIGKILL: the parent-death signal (Linux) does.
    expect(await waitUntil(() => !isRunning(pid))).toBe(true);
  });
});

describe("time helpers", () => {
  it("increaseTime / mineAt / setNextBlockTimestamp move the chain clock", async () => {
    const anvil = await startAnvil({ silent: true });
    try {
      const client = clientOf(anvil);
      const start = (await client.getBlock({ blockTag: "latest" })).timestamp;
      await increaseTime(anvil.rpcUrl, 1000);
      expect((await client.getBlock({ blockTag: "latest" })).timestamp).toBeGreaterThanOrEqual(start + 1000n);
      await mineAt(anvil.rpcUrl, start + 5000n);
      expect((await client.getBlock({ blockTag: "latest" })).timestamp).toBe(start + 5000n);
      await setNextBlockTimestamp(anvil.rpcUrl, start + 9000n);
      await increaseTime(anvil.rpcUrl, 0);
      expect((await client.getBlock({ blockTag: "latest" })).timestamp).toBe(start + 9000n);
    } finally {
      await anvil.stop();
    }
  });
});
