// `npm run chain`: only the local chain of `npm start` — anvil with its state under DATA_DIR, the
// Compute Node contracts and the seeded demo offer — for working on providers or contracts
// without the app. Ctrl-C stops it (anvil writes its state on the way out).
import fs from "node:fs";
import path from "node:path";
import { env, EnvError } from "@/lib/env";
import { devAccounts } from "@/lib/chain/anvil";
import { formatMorPerHour } from "@/lib/chain/format";
import { demoOffer, startLocalMarketplace } from "@/lib/chain/local-marketplace";
import { logger } from "./lib/log";
import { onShutdownSignal } from "./lib/signals";

const root = path.resolve(import.meta.dirname, "..");
if (fs.existsSync(path.join(root, ".env"))) process.loadEnvFile(path.join(root, ".env"));
const log = logger("chain");

async function main() {
  const config = env();
  const providerPort = Number(config.PROVIDER_LISTEN_ADDRESS.split(":").pop());
  const { anvil, market } = await startLocalMarketplace({
    dataDir: path.resolve(root, config.DATA_DIR),
    port: config.ANVIL_PORT,
    providerEndpoint: `127.0.0.1:${providerPort}`,
  });
  const { deployment, demo } = market;
  log.info(`anvil (chain id 31337) on ${anvil.rpcUrl}`);
  log.info(`${market.reused ? "reusing" : "deployed"} Compute Node at ${deployment.diamond}, MOR token at ${deployment.mor}`);
  log.info(`demo provider ${demo.provider} offers ${demoOffer.model.name} (model ${demo.modelId}) at ${formatMorPerHour(demoOffer.pricePerSecond)}`);
  log.info(`dev accounts #0-#${devAccounts.length - 1} hold MOR and ETH (mnemonic "test test … junk"); Ctrl-C stops the chain`);
  const stop = async (signal: string) => {
    log.info(`${signal}: stopping anvil`);
    await anvil.stop();
    process.exit(0);
  };
  onShutdownSignal(stop);
}

main().catch((error: unknown) => {
  log.error(error instanceof EnvError ? error.message : `chain failed: ${(error as Error).message}`);
  process.exit(1);
});
