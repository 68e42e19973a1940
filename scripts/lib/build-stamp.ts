// "Build if needed": a hash of everything `next build` reads, stored beside the build.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

// Everything a build reads: sources, the Prisma schema (the generated client is built in), config.
const inputs = ["app", "components", "lib", "public", "prisma/schema.prisma", "instrumentation.ts", "proxy.ts", "middleware.ts", "package-lock.json", "next.config.mjs", "postcss.config.mjs", "tsconfig.json"];
const skip = /(^|\/)(node_modules|generated|\.next)(\/|$)|\.test\.tsx?$/;

function* files(entry: string): Generator<string> {
  if (!fs.existsSync(entry)) return;
  const stat = fs.statSync(entry);
  if (stat.isFile()) {
    yield entry;
    return;
  }
  for (const name of fs.readdirSync(entry).sort()) {
    const child = path.join(entry, name);
    if (!skip.test(child)) yield* files(child);
  }
}

export function sourceHash(root: string): string {
  const hash = crypto.createHash("sha256");
  for (const input of inputs) {
    for (const file of files(path.join(root, input))) {
      hash.update(path.relative(root, file)).update("\0").update(fs.readFileSync(file)).update("\0");
    }
  }
  return hash.digest("hex");
}

const stampFile = (root: string) => path.join(root, ".next", "source-hash");

export function buildIsCurrent(root: string): boolean {
  const stamp = stampFile(root);
  return fs.existsSync(path.join(root, ".next", "BUILD_ID")) && fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === sourceHash(root);
}

export function recordBuild(root: string): void {
  fs.writeFileSync(stampFile(root), sourceHash(root));
}
