// `npm run contracts:build`: compile contracts/ in-process with solc-js and write
// lib/chain/contracts.generated.ts — typed `as const` ABIs for viem, the bytecode the deploy needs
// and a hash of the inputs. The generated file is committed so the app builds without solc.
// Same inputs → byte-identical output (test/contracts/generated.test.ts checks it is current).
import { createHash } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(import.meta.dirname, "..");
const contractsDir = path.join(root, "contracts");
export const generatedFile = path.join(root, "lib", "chain", "contracts.generated.ts");
const require = createRequire(import.meta.url);

/** The facets routed at the Compute Node address, in deployment order. */
const FACETS = ["ProviderRegistry", "ModelRegistry", "Marketplace", "SessionRouter", "SessionViews", "Delegation"] as const;
const ROUTER = "ComputeNode";
const EIP170_LIMIT = 24_576;

const SOLC_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "cancun",
  // No metadata hash in the bytecode: a comment-only change then leaves the bytecode alone.
  metadata: { bytecodeHash: "none" },
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "evm.methodIdentifiers"] } },
} as const;

interface AbiParam {
  name: string;
  type: string;
  internalType?: string;
  indexed?: boolean;
  components?: AbiParam[];
}
interface AbiItem {
  type: "function" | "event" | "error" | "constructor" | "fallback" | "receive";
  name?: string;
  inputs?: AbiParam[];
  outputs?: AbiParam[];
  stateMutability?: string;
  anonymous?: boolean;
}
interface CompiledContract {
  abi: AbiItem[];
  evm: { bytecode: { object: string }; deployedBytecode: { object: string }; methodIdentifiers: Record<string, string> };
}
interface SolcOutput {
  errors?: { severity: "error" | "warning" | "info"; formattedMessage: string; sourceLocation?: { file: string } }[];
  contracts: Record<string, Record<string, CompiledContract>>;
}

function solidityFiles(dir = contractsDir): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? solidityFiles(full) : entry.name.endsWith(".sol") ? [full] : [];
    })
    .sort();
}

function unitName(file: string): string {
  return path.relative(root, file).split(path.sep).join("/");
}

function packageVersion(name: string): string {
  return (JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), "utf8")) as { version: string }).version;
}

/** Hash of everything the output depends on: the sources, the compiler, its settings, OpenZeppelin. */
export function contractSourcesHash(): string {
  const hash = createHash("sha256");
  hash.update(`solc ${packageVersion("solc")}\nopenzeppelin ${packageVersion("@openzeppelin/contracts")}\n`);
  hash.update(JSON.stringify(SOLC_SETTINGS));
  for (const file of solidityFiles()) hash.update(`\0${unitName(file)}\0${fs.readFileSync(file, "utf8")}`);
  return hash.digest("hex");
}

function findImport(importPath: string): { contents: string } | { error: string } {
  if (!importPath.startsWith("@openzeppelin/")) return { error: `unresolved import ${importPath}` };
  try {
    return { contents: fs.readFileSync(path.join(root, "node_modules", importPath), "utf8") };
  } catch {
    return { error: `not found in node_modules: ${importPath}` };
  }
}

export function compileContracts(): SolcOutput["contracts"] {
  // solc-js is CommonJS only.
  const solc = require("solc") as { compile(input: string, callbacks: { import: typeof findImport }): string };
  const sources = Object.fromEntries(solidityFiles().map((file) => [unitName(file), { content: fs.readFileSync(file, "utf8") }]));
  const input = { language: "Solidity", sources, settings: SOLC_SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as SolcOutput;
  const problems = (output.errors ?? []).filter((e) => e.severity !== "info");
  const errors = problems.filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(`solc failed:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
  // Warnings about OpenZeppelin's own sources are not ours to fix.
  for (const warning of problems.filter((w) => !w.sourceLocation?.file.startsWith("@openzeppelin/"))) console.warn(warning.formattedMessage);
  return output.contracts;
}

function contract(contracts: SolcOutput["contracts"], name: string): CompiledContract {
  const found = Object.values(contracts).find((unit) => unit[name])?.[name];
  if (!found) throw new Error(`contract ${name} not in the compiler output`);
  const size = found.evm.deployedBytecode.object.length / 2;
  if (size > EIP170_LIMIT) throw new Error(`${name} is ${size} bytes, over the EIP-170 limit of ${EIP170_LIMIT}`);
  return found;
}

function signature(item: AbiItem): string {
  const type = (p: AbiParam): string =>
    p.components ? `(${p.components.map(type).join(",")})${p.type.slice("tuple".length)}` : p.type;
  return `${item.type} ${item.name}(${(item.inputs ?? []).map(type).join(",")})`;
}

/** Everything callable at the Compute Node address: router + facets, with their events and errors. */
function mergeComputeNodeAbi(contracts: SolcOutput["contracts"]): AbiItem[] {
  const merged = new Map<string, AbiItem>();
  for (const name of [ROUTER, ...FACETS]) {
    for (const item of contract(contracts, name).abi) {
      if (item.type !== "function" && item.type !== "event" && item.type !== "error") continue;
      const key = signature(item);
      // Shared events and errors (declared in FacetBase) come once per facet; functions must not.
      if (merged.has(key) && item.type === "function") throw new Error(`${key} is defined by two facets`);
      merged.set(key, item);
    }
  }
  const order = { function: 0, event: 1, error: 2 } as Record<string, number>;
  // Plain code-unit order: locale-aware comparison could differ between machines.
  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...merged.values()].sort((a, b) => order[a.type] - order[b.type] || byText(signature(a), signature(b)));
}

function hex(bytecode: string): string {
  return `0x${bytecode}`;
}

export function renderGenerated(contracts: SolcOutput["contracts"], sourcesHash: string): string {
  const router = contract(contracts, ROUTER);
  const morToken = contract(contracts, "MorToken");
  const fundingAccount = contract(contracts, "FundingAccount");
  const delegateRegistry = contract(contracts, "LocalDelegateRegistry");
  const contractProvider = contract(contracts, "ContractProvider");
  const constructorOf = (c: CompiledContract) => c.abi.filter((item) => item.type === "constructor");
  const facets = FACETS.map((name) => {
    const compiled = contract(contracts, name);
    return { name, bytecode: hex(compiled.evm.bytecode.object), selectors: Object.values(compiled.evm.methodIdentifiers).sort().map((s) => `0x${s}`) };
  });
  const json = (value: unknown) => JSON.stringify(value, null, 2);
  // One ABI item per line: compact, and a changed function is a one-line diff.
  const abiJson = (abi: AbiItem[]) => `[\n${abi.map((item) => `  ${JSON.stringify(item)},`).join("\n")}\n]`;

  return [
    "// generated by npm run contracts:build — do not edit",
    "// Sources: contracts/ (solc " + packageVersion("solc") + ", optimizer on, evm cancun).",
    "",
    `export const contractSourcesHash = ${json(sourcesHash)} as const;`,
    "",
    "/** Everything callable at the Compute Node (Diamond) address: functions, events and custom errors. */",
    `export const computeNodeAbi = ${abiJson(mergeComputeNodeAbi(contracts))} as const;`,
    "",
    "/** The local MOR token (ERC-20 + owner mint + increaseAllowance). */",
    `export const morTokenAbi = ${abiJson(morToken.abi)} as const;`,
    "",
    "/** The local stand-in for the delegate.xyz v2 registry (its delegateAll / delegateContract / check* subset). */",
    `export const delegateRegistryAbi = ${abiJson(delegateRegistry.abi)} as const;`,
    "",
    "/** The example contract provider: owner() signs for it, execute() forwards the owner's calls. */",
    `export const contractProviderAbi = ${abiJson(contractProvider.abi)} as const;`,
    "",
    "/** Bytecode for deploying the local marketplace (lib/chain/deploy.ts). */",
    "export const computeNodeArtifacts = {",
    `  router: { abi: ${JSON.stringify(constructorOf(router))}, bytecode: ${json(hex(router.evm.bytecode.object))} },`,
    `  facets: ${json(facets).replace(/\n/g, "\n  ")},`,
    `  morToken: { bytecode: ${json(hex(morToken.evm.bytecode.object))} },`,
    `  fundingAccount: { abi: ${JSON.stringify(constructorOf(fundingAccount))}, bytecode: ${json(hex(fundingAccount.evm.bytecode.object))} },`,
    `  delegateRegistry: { bytecode: ${json(hex(delegateRegistry.evm.bytecode.object))} },`,
    `  contractProvider: { bytecode: ${json(hex(contractProvider.evm.bytecode.object))} },`,
    "} as const;",
    "",
  ].join("\n");
}

function main(): void {
  const started = performance.now();
  const sourcesHash = contractSourcesHash();
  const contracts = compileContracts();
  fs.writeFileSync(generatedFile, renderGenerated(contracts, sourcesHash));
  for (const name of [ROUTER, ...FACETS, "MorToken", "FundingAccount", "LocalDelegateRegistry", "ContractProvider"]) {
    console.log(`${name.padEnd(22)} ${(contract(contracts, name).evm.deployedBytecode.object.length / 2).toString().padStart(6)} bytes`);
  }
  console.log(`wrote ${path.relative(root, generatedFile)} in ${Math.round(performance.now() - started)} ms`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
