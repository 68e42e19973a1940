// Aggregates a V8 .cpuprofile (node --cpu-prof) by function and by package: self time (where the
// samples landed) and inclusive time (samples with the function or package anywhere on the stack).
//   npx tsx scripts/bench/cpuprofile.ts <file.cpuprofile> [top=20]
import fs from "node:fs";
import path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface Summary {
  totalMs: number;
  idleMs: number;
  selfByFunction: Array<[string, number]>;
  inclusiveByFunction: Array<[string, number]>;
  selfByPackage: Array<[string, number]>;
  inclusiveByPackage: Array<[string, number]>;
}

/** "next", "@prisma/client", "node:internal", "app", "(gc)"… */
function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  if (url.startsWith("node:")) return url.startsWith("node:internal") ? "node:internal" : url.split("/")[0];
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url.replace(/.*node_modules\/\.pnpm\/[^/]+\//, "node_modules/"));
  if (match) return match[1];
  if (url.includes("/.next/server/chunks/") || url.includes("/.next/server/app/")) return "app (.next bundle)";
  if (url.includes("/.next/")) return "next (bundled runtime)";
  return `app ${url.includes("/lib/") ? url.slice(url.indexOf("/lib/") + 1).split("/").slice(0, 2).join("/") : path.basename(url)}`;
}

function functionKey(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${url.replace(/^file:\/\//, "").replace(/.*node_modules\//, "").replace(/.*\/\.next\//, ".next/").replace(/.*\/(lib|scripts)\//, "$1/")}:${lineNumber + 1}` : "";
  return `${functionName || "(anonymous)"}${where ? ` ${where}` : ""}`;
}

export function summarizeProfile(file: string): Summary {
  const profile = JSON.parse(fs.readFileSync(file, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const add = (map: Map<string, number>, key: string, ms: number) => map.set(key, (map.get(key) ?? 0) + ms);
  const selfFn = new Map<string, number>();
  const inclFn = new Map<string, number>();
  const selfPkg = new Map<string, number>();
  const inclPkg = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000; // a sample's time is the gap to the next one
    const node = byId.get(id)!;
    totalMs += ms;
    if (node.callFrame.functionName === "(idle)") {
      idleMs += ms;
      return;
    }
    add(selfFn, functionKey(node), ms);
    add(selfPkg, packageOf(node.callFrame.url, node.callFrame.functionName), ms);
    const fns = new Set<string>();
    const pkgs = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      if (n.callFrame.functionName === "(root)") break;
      fns.add(functionKey(n));
      pkgs.add(packageOf(n.callFrame.url, n.callFrame.functionName));
    }
    for (const f of fns) add(inclFn, f, ms);
    for (const p of pkgs) add(inclPkg, p, ms);
  });
  const sorted = (map: Map<string, number>) => [...map.entries()].sort((a, b) => b[1] - a[1]);
  return { totalMs, idleMs, selfByFunction: sorted(selfFn), inclusiveByFunction: sorted(inclFn), selfByPackage: sorted(selfPkg), inclusiveByPackage: sorted(inclPkg) };
}

export function formatSummary(s: Summary, top: number): string {
  const busy = s.totalMs - s.idleMs;
  const pct = (ms: number) => `${((ms / busy) * 100).toFixed(1).padStart(5)}%`;
  const list = (title: string, rows: Array<[string, number]>) =>
    [`${title}:`, ...rows.slice(0, top).map(([k, ms]) => `  ${pct(ms)} ${ms.toFixed(0).padStart(7)} ms  ${k.slice(0, 150)}`)].join("\n");
  return [
    `profiled ${(s.totalMs / 1000).toFixed(1)} s, busy ${(busy / 1000).toFixed(1)} s (${((busy / s.totalMs) * 100).toFixed(0)}%); percentages are of busy time`,
    list("self time by package", s.selfByPackage),
    list("inclusive time by package", s.inclusiveByPackage),
    list("self time by function", s.selfByFunction),
    list("inclusive time by function", s.inclusiveByFunction),
  ].join("\n");
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const [file, top = "20"] = process.argv.slice(2);
  if (!file) {
    console.error("usage: npx tsx scripts/bench/cpuprofile.ts <file.cpuprofile> [top]");
    process.exit(2);
  }
  console.log(formatSummary(summarizeProfile(file), Number(top)));
}
