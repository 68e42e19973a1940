import fs from "node:fs";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { createPublicClient, erc20Abi, http, parseEther } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";

// The e2e chain of playwright.config.ts (ANVIL_PORT = base + 5545) and its deployment record.
const base = Number(process.env.E2E_PORT_BASE ?? 3100);
const chain = createPublicClient({ chain: foundry, transport: http(`http://127.0.0.1:${base + 5545}`) });

test("the faucet funds a wallet when the portal's own page asks, once per address", async ({ page }) => {
  const deployment = path.resolve(import.meta.dirname, "../.data/e2e/chain/deployment.json");
  const { mor } = JSON.parse(fs.readFileSync(deployment, "utf8")) as { mor: `0x${string}` };
  const address = privateKeyToAccount(generatePrivateKey()).address;
  await page.goto("/");
  // A same-origin fetch from the site's page: the browser sets Origin itself.
  const claim = () =>
    page.evaluate(async (to) => {
      const response = await fetch("/api/faucet", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ address: to }) });
      return { status: response.status, body: await response.json() };
    }, address);

  const first = await claim();
  expect(first).toMatchObject({ status: 200, body: { address, eth: "10", mor: "100" } });
  expect(await chain.getBalance({ address })).toBe(parseEther("10"));
  expect(await chain.readContract({ address: mor, abi: erc20Abi, functionName: "balanceOf", args: [address] })).toBe(parseEther("100"));

  const second = await claim();
  expect(second.status).toBe(429);
  expect(second.body.error.message).toMatch(/recently/);
});
