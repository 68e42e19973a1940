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
import { contractSourcesHash } from "@/lib/chain/contracts.generated";
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

  it("redeploys when the recorded contracts were built from other sources (an update changed contracts/)", async () => {
    const current = await ensureLocalMarketplace({ rpcUrl: anvil.rpcUrl, deploymentFile });
    const record = JSON.parse(fs.readFileSync(deploymentFile, "utf8")) as Record<string, unknown>;
    fs.writeFileSync(deploymentFile, JSON.stringify({ ...record, contractsHash: "0".repeat(64) }));
    const notices: string[] = [];
    const updated = await ensureLocalMarketplace({ rpcUrl: anvil.rpcUrl, deploymentFile, onNotice: (m) => notices.push(m) });
    expect(updated.reused).toBe(false);
    expect(updated.deployment.diamond).not.toBe(current.deployment.diamond);
    expect(notices).toEqual(["the contracts changed since this local chain was deployed: deploying the new ones"]);
    expect(readLocalDeployment(deploymentFile)?.contractsHash).toBe(contractSourcesHash);
    expect((await ensureLocalMarketplace({ rpcUrl: anvil.rpcUrl, deploymentFile })).reused).toBe(true);
  });
});
