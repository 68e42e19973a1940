// The local marketplace `npm start` brings up, and the catalog the models page reads from it.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPublicClient, http } from "viem";
import { foundry } from "viem/chains";
import { startAnvil, devAccounts } from "@/lib/chain/anvil";
import { listModelOffers } from "@/lib/chain/catalog";
import { readLocalDeployment } from "@/lib/chain/config";
import { demoOffer, ensureLocalMarketplace } from "@/lib/chain/local-marketplace";

describe("local marketplace", () => {
  let anvil: Awaited<ReturnType<typeof startAnvil>>;
  let dir: string;
  let deploymentFile: string;

  beforeAll(async () => {
    anvil = await startAnvil({ silent: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "morpheus-local-"));
    deploymentFile = path.join(dir, "deployment.json");
  });
  afterAll(async () => {
    await anvil?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("deploys and seeds the demo offer, then reuses it on restart", async () => {
    const first = await ensureLocalMarketplace({ rpcUrl: anvil.rpcUrl, deploymentFile });
    expect(first.reused).toBe(false);
    expect(first.demo.provider).toBe(devAccounts[demoOffer.providerAccountIndex].address);
    expect(readLocalDeployment(deploymentFile)?.diamond).toBe(first.deployment.diamond);

    const second = await ensureLocalMarketplace({ rpcUrl: anvil.rpcUrl, deploymentFile });
    expect(second.reused).toBe(true);
    expect(second.deployment.diamond).toBe(first.deployment.diamond);
    expect(second.demo.bidId).toBe(first.demo.bidId);

    const client = createPublicClient({ chain: foundry, transport: http(anvil.rpcUrl) });
    const offers = await listModelOffers({ client, diamond: first.deployment.diamond });
    expect(offers).toHaveLength(1);
    expect(offers[0]).toMatchObject({ name: demoOffer.model.name, tags: [...demoOffer.model.tags] });
    expect(offers[0].bids).toEqual([
      expect.objectContaining({
        bidId: first.demo.bidId,
        provider: first.demo.provider,
        providerEndpoint: demoOffer.endpoint,
        pricePerSecond: demoOffer.pricePerSecond,
      }),
    ]);
  });

  it("redeploys when the recorded contracts are gone from the chain (lost chain state)", async () => {
    const fresh = await startAnvil({ silent: true });
    try {
      const market = await ensureLocalMarketplace({ rpcUrl: fresh.rpcUrl, deploymentFile });
      expect(market.reused).toBe(false);
      expect(readLocalDeployment(deploymentFile)?.rpcUrl).toBe(fresh.rpcUrl);
      const client = createPublicClient({ chain: foundry, transport: http(fresh.rpcUrl) });
      expect(await client.getCode({ address: market.deployment.diamond })).not.toBe("0x");
    } finally {
      await fresh.stop();
    }
  });
});
