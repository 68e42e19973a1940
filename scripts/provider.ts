// `npm run provider -- …`: the provider node and the headless chain commands.
//   npm run provider -- [serve] --config models-config.json [--listen 0.0.0.0:3333]
//   npm run provider -- register --endpoint host:port --stake 10        (MOR)
//   npm run provider -- model --name llama-3.1-8b [--tags llm,chat] [--stake 0.1]
//   npm run provider -- bid --model 0x<modelId> --price 0.36            (MOR per hour)
//   npm run provider -- unbid --bid 0x<bidId>
//   npm run provider -- status
//   npm run provider -- deregister
// The wallet is PROVIDER_PRIVATE_KEY (environment or .env, never a flag: flags show in `ps`); serve
// signs for PROVIDER_ADDRESS instead when that provider delegated to the key or is a contract it owns;
// the chain is CHAIN / RPC_URL, or the local marketplace `npm start` deployed.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { privateKeyToAccount } from "viem/accounts";
import { chainConfig, publicClient } from "@/lib/chain/config";
import { formatMor, formatMorPerHour, parseMor, parseMorPerHour } from "@/lib/chain/format";
import { walletFor, type ChainContext } from "@/lib/chain/writes";
import { env, EnvError } from "@/lib/env";
import { redactUrls } from "@/lib/redact";
import {
  deleteBidCommand,
  deregisterCommand,
  describeModelsConfig,
  loadModelsConfig,
  postBidCommand,
  providerStatus,
  registerModelCommand,
  registerProviderCommand,
  startProviderNode,
} from "@/lib/provider";
import { logger } from "./lib/log";
import { onShutdownSignal } from "./lib/signals";

const root = path.resolve(import.meta.dirname, "..");
if (fs.existsSync(path.join(root, ".env"))) process.loadEnvFile(path.join(root, ".env"));
const log = logger("provider");

const usage = `usage: npm run provider -- <command> [options]
  serve (default)  --config <models-config.json> [--listen host:port] [--state <file>]
  register         --endpoint <host:port> --stake <MOR>
  model            --name <name> [--tags a,b] [--stake <MOR>]
  bid              --model <0x modelId> --price <MOR per hour>
  unbid            --bid <0x bidId>
  status
  deregister       (deletes your active bids first)
The wallet is PROVIDER_PRIVATE_KEY; serve signs for PROVIDER_ADDRESS when set (a provider that delegated
PROVIDER rights to the key on delegate.xyz, or a contract provider it owns). The chain is CHAIN / RPC_URL
(default: the local marketplace of npm start).`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    config: { type: "string" },
    listen: { type: "string" },
    state: { type: "string" },
    endpoint: { type: "string" },
    stake: { type: "string" },
    name: { type: "string" },
    tags: { type: "string" },
    model: { type: "string" },
    price: { type: "string" },
    bid: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});

function required(name: keyof typeof values): string {
  const value = values[name];
  if (typeof value !== "string" || value === "") throw new Error(`--${name} is required\n\n${usage}`);
  return value;
}

function bytes32(name: "model" | "bid"): `0x${string}` {
  const value = required(name);
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw new Error(`--${name} must be 0x followed by 64 hex characters`);
  return value.toLowerCase() as `0x${string}`;
}

function providerAccount() {
  const key = env().PROVIDER_PRIVATE_KEY;
  if (!key) throw new Error("PROVIDER_PRIVATE_KEY is not set (the provider wallet's 0x-prefixed private key; put it in .env)");
  return privateKeyToAccount(key);
}

function chainContext(): ChainContext {
  const config = chainConfig();
  return { client: publicClient(config), diamond: config.diamond, mor: config.mor };
}

async function serve(): Promise<void> {
  const config = env();
  const account = providerAccount();
  const configPath = values.config ?? config.MODELS_CONFIG_PATH;
  const models = loadModelsConfig({ path: configPath, content: values.config ? undefined : config.MODELS_CONFIG_CONTENT });
  const [, host, port] = /^(.*):(\d+)$/.exec(values.listen ?? config.PROVIDER_LISTEN_ADDRESS) ?? [];
  if (port === undefined) throw new Error(`--listen must be host:port or :port`);
  // What each entry of the file becomes; upstream URLs only as scheme and host (they can hold keys).
  for (const line of describeModelsConfig(models)) log.info(line);
  for (const m of models.models) log.info(`model ${m.modelId} → ${m.modelName} at ${redactUrls(m.apiUrl)}`);
  const ctx = chainContext();
  const node = await startProviderNode({
    privateKey: config.PROVIDER_PRIVATE_KEY!,
    providerAddress: config.PROVIDER_ADDRESS as `0x${string}` | undefined,
    models,
    reader: ctx,
    host: host || "0.0.0.0",
    port: Number(port),
    stateFile: values.state ?? path.resolve(root, config.DATA_DIR, "provider", `${account.address.toLowerCase()}.json`),
    llmTimeoutMs: config.LLM_TIMEOUT_MS,
    maxConnections: config.PROVIDER_MAX_CONNECTIONS,
    maxConnectionsPerAddress: config.PROVIDER_MAX_CONNECTIONS_PER_ADDRESS,
    log,
  });
  const stop = async (signal: string) => {
    log.info(`${signal}: finishing in-flight prompts, then stopping`);
    await node.close();
    process.exit(0);
  };
  onShutdownSignal(stop);
}

async function run(command: string): Promise<void> {
  if (command === "serve") return serve();
  const ctx = chainContext();
  const account = providerAccount();
  const wallet = walletFor(ctx, account);
  switch (command) {
    case "register": {
      const r = await registerProviderCommand(ctx, wallet, { endpoint: required("endpoint"), stake: parseMor(required("stake")) });
      log.info(`registered ${account.address} at ${values.endpoint}, stake now ${formatMor(r.stake)} (tx ${r.hash})`);
      return;
    }
    case "model": {
      const tags = (values.tags ?? "").split(",").map((t) => t.trim()).filter(Boolean);
      const r = await registerModelCommand(ctx, wallet, { name: required("name"), tags, stake: values.stake ? parseMor(values.stake) : undefined });
      log.info(`model "${values.name}" registered (tx ${r.hash})`);
      console.log(r.modelId);
      return;
    }
    case "bid": {
      const r = await postBidCommand(ctx, wallet, { modelId: bytes32("model"), pricePerSecond: parseMorPerHour(required("price")) });
      log.info(`bid on ${r.modelName} at ${formatMorPerHour(parseMorPerHour(values.price!))} posted, fee ${formatMor(r.fee)} (tx ${r.hash})`);
      console.log(r.bidId);
      return;
    }
    case "unbid": {
      const r = await deleteBidCommand(ctx, wallet, bytes32("bid"));
      log.info(`bid deleted (tx ${r.hash})`);
      return;
    }
    case "deregister": {
      const r = await deregisterCommand(ctx, wallet);
      log.info(`deleted ${r.deletedBids} active bid(s) and deregistered (tx ${r.hash})`);
      return;
    }
    case "status": {
      const s = await providerStatus(ctx, account.address);
      console.log(`provider  ${s.address}`);
      console.log(`balance   ${formatMor(s.balance)}`);
      if (!s.registered) {
        console.log("status    not registered (npm run provider -- register --endpoint host:port --stake <MOR>)");
        return;
      }
      console.log(`endpoint  ${s.provider.endpoint}`);
      console.log(`stake     ${formatMor(s.provider.stake)} (earned this period: ${formatMor(s.provider.limitPeriodEarned)})`);
      console.log(`bids      ${s.bids.length === 0 ? "none" : ""}`);
      for (const b of s.bids) console.log(`  ${b.bidId}  ${b.modelName} (${b.modelId})  ${formatMorPerHour(b.pricePerSecond)}`);
      return;
    }
    default:
      throw new Error(`unknown command "${command}"\n\n${usage}`);
  }
}

if (values.help) {
  console.log(usage);
} else {
  run(positionals[0] ?? "serve").catch((error: unknown) => {
    log.error(error instanceof EnvError ? error.message : (error as Error).message);
    process.exit(1);
  });
}
