// lib/chain/contracts.generated.ts must match contracts/ (run `npm run contracts:build` after
// editing a .sol file), and the contract tests must expect every reachable custom error.
// (No "every function is covered" check: a function's name in a test title proves nothing, and
// what a test really calls is not visible across test files; review and the tests themselves are
// the coverage.)
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { computeNodeAbi, contractSourcesHash as generatedHash } from "@/lib/chain/contracts.generated";
import { compileContracts, contractSourcesHash, generatedFile, renderGenerated } from "@/scripts/compile-contracts";

describe("contracts.generated.ts", () => {
  it("was generated from the current contracts/ sources (else run npm run contracts:build)", () => {
    expect(generatedHash, "lib/chain/contracts.generated.ts is stale: run `npm run contracts:build`").toBe(contractSourcesHash());
  });

  it("is exactly what compiling contracts/ produces (stable output)", () => {
    const expected = renderGenerated(compileContracts(), contractSourcesHash());
    expect(fs.readFileSync(generatedFile, "utf8") === expected, "lib/chain/contracts.generated.ts differs from a fresh build: run `npm run contracts:build`").toBe(true);
  }, 60_000);
});

describe("contract test coverage", () => {
  const dir = import.meta.dirname;
  const sources = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".test.ts") && f !== path.basename(import.meta.filename))
    .map((f) => fs.readFileSync(path.join(dir, f), "utf8"));

  it("expects every reachable custom error somewhere", () => {
    // Deploy-time router checks and a token failure mode MOR cannot produce.
    const unreachable = new Set(["DuplicateSelector", "FacetListMismatch", "SafeERC20FailedOperation"]);
    const errors = computeNodeAbi.filter((item) => item.type === "error").map((item) => item.name);
    expect(errors.filter((name) => !unreachable.has(name) && !sources.some((source) => source.includes(`"${name}"`)))).toEqual([]);
  });
});
