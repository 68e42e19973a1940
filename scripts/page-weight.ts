// First-load JavaScript of each page of the last `next build`, gzipped: what a modern browser
// downloads before the page is interactive — the shared root chunks plus the chunks of the page's
// layouts and the page itself (from each page's client reference manifest). The `nomodule`
// polyfill bundle is listed apart: modern browsers skip it.
//   npx tsx scripts/page-weight.ts [--max-kb 150 --page /]
import fs from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";

const nextDir = path.resolve(".next");
const buildManifest = JSON.parse(fs.readFileSync(path.join(nextDir, "build-manifest.json"), "utf8")) as {
  rootMainFiles: string[];
  polyfillFiles: string[];
};

const gzipSizes = new Map<string, number>();
function gzipSize(file: string): number {
  let size = gzipSizes.get(file);
  if (size === undefined) {
    size = gzipSync(fs.readFileSync(path.join(nextDir, file)), { level: 9 }).length;
    gzipSizes.set(file, size);
  }
  return size;
}

/** Every page's client reference manifest under .next/server/app (route groups included). */
function manifests(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return manifests(full);
    return entry.name === "page_client-reference-manifest.js" ? [full] : [];
  });
}

type Manifest = { entryJSFiles?: Record<string, string[]> };
function loadManifest(file: string): [string, Manifest] {
  const scope = { __RSC_MANIFEST: {} as Record<string, Manifest> };
  new Function("globalThis", fs.readFileSync(file, "utf8"))(scope);
  const [[key, value]] = Object.entries(scope.__RSC_MANIFEST);
  return [key, value];
}

/** "/(site)/models/page" → "/models" (route groups are not part of the URL). */
function routeOf(key: string): string {
  const route = key.replace(/\/page$/, "").replace(/\/\([^)]+\)/g, "");
  return route === "" ? "/" : route;
}

const rows = manifests(path.join(nextDir, "server", "app"))
  .map(loadManifest)
  .filter(([key]) => !key.includes("/_") && !key.startsWith("/api/"))
  .map(([key, manifest]) => {
    const files = new Set(buildManifest.rootMainFiles);
    for (const chunks of Object.values(manifest.entryJSFiles ?? {})) for (const chunk of chunks) files.add(chunk);
    const bytes = [...files].reduce((sum, file) => sum + gzipSize(file), 0);
    return { route: routeOf(key), kB: bytes / 1000 };
  })
  .sort((a, b) => a.route.localeCompare(b.route));

const polyfills = buildManifest.polyfillFiles.reduce((sum, file) => sum + gzipSize(file), 0) / 1000;
for (const row of rows) console.log(`${row.route.padEnd(20)} ${row.kB.toFixed(1).padStart(7)} kB`);
console.log(`(nomodule polyfills, not loaded by modern browsers: ${polyfills.toFixed(1)} kB)`);

const args = process.argv.slice(2);
const maxKb = args.includes("--max-kb") ? Number(args[args.indexOf("--max-kb") + 1]) : undefined;
const page = args.includes("--page") ? args[args.indexOf("--page") + 1] : "/";
if (maxKb !== undefined) {
  const row = rows.find((r) => r.route === page);
  if (!row) throw new Error(`no page ${page} in the build`);
  if (row.kB > maxKb) {
    console.error(`${page} loads ${row.kB.toFixed(1)} kB of JavaScript, over the ${maxKb} kB budget`);
    process.exit(1);
  }
}
