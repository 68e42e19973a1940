// CPU time and memory of a process and its descendants, from /proc (Linux only; elsewhere the
// bench prints "n/a" for these columns).
import fs from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux ABI Node runs on

function stat(pid: number): { ppid: number; cpuTicks: number } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces), counted from field 3 ("state").
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

/** `pid` and every process below it. */
export function processTree(pid: number): number[] {
  let all: number[];
  try {
    all = fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name)).map(Number);
  } catch {
    return [pid];
  }
  const children = new Map<number, number[]>();
  for (const p of all) {
    const s = stat(p);
    if (s) children.set(s.ppid, [...(children.get(s.ppid) ?? []), p]);
  }
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0 && tree.length < 64) {
    const p = queue.shift()!;
    tree.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return tree;
}

/** CPU ms (user + system) used so far by these processes. */
export function cpuMs(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + ((stat(pid)?.cpuTicks ?? 0) * 1000) / TICKS_PER_SECOND, 0);
}

/** Resident memory now and at its peak (VmRSS, VmHWM), in MB, summed over the processes. */
export function memoryMb(pids: number[]): { rss: number; peak: number } {
  let rss = 0;
  let peak = 0;
  for (const pid of pids) {
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
      rss += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
      peak += Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    } catch {
      // gone: counts as nothing
    }
  }
  return { rss, peak };
}
