// Screenshots of every page at desktop and phone widths, light and dark, for a person to look at
// (test-results/screenshots/<page>-<width>-<theme>.png). Each page must also not scroll sideways.
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { devAccounts } from "../lib/chain/dev-accounts";
import { DashboardPage } from "./pages/dashboard-page";
import { ProviderPage } from "./pages/provider-page";
import { expect, test } from "./support/wallet";

const widths = [1280, 390];
const themes = ["light", "dark"] as const;
const pages = ["/", "/models", "/docs", "/dashboard", "/playground", "/provider"];

function fileName(path: string, width: number, theme: string, suffix = "") {
  const name = path === "/" ? "landing" : path.slice(1).replace(/\//g, "-");
  return `test-results/screenshots/${name}${suffix}-${width}-${theme}.png`;
}

type Page = import("@playwright/test").Page;

async function shoot(page: Page, path: string, suffix = "", ready?: (page: Page) => Promise<void>) {
  for (const theme of themes) {
    await page.emulateMedia({ colorScheme: theme });
    for (const width of widths) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(path);
      await expect(page.locator("main")).toBeVisible();
      await ready?.(page);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${path} at ${width}px scrolls sideways`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: fileName(path, width, theme, suffix), fullPage: true });
    }
  }
}

test("screenshots of every page, signed out", async ({ page }) => {
  test.setTimeout(120_000);
  for (const path of pages) await shoot(page, path);
});

test("screenshots of the signed-in pages", async ({ page, wallet }) => {
  test.setTimeout(120_000);
  const dashboard = new DashboardPage(page);
  await dashboard.goto();
  await wallet.signIn(page, dashboard.gate);
  await dashboard.expectSignedInAs(wallet.account.address);
  for (const path of ["/", "/dashboard", "/playground", "/provider"]) await shoot(page, path, "-signed-in");
});

/** Screenshots of the page as it is now (no reload: the state on screen is what is shot). */
async function shootInPlace(page: Page, name: string) {
  for (const theme of themes) {
    await page.emulateMedia({ colorScheme: theme });
    for (const width of widths) {
      await page.setViewportSize({ width, height: 900 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${name} at ${width}px scrolls sideways`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: fileName(`/${name}`, width, theme), fullPage: true });
    }
  }
}

test("screenshots of the provider page: a provider with a model, bids and sessions; a new wallet; a refusal", async ({ page, wallet }) => {
  test.setTimeout(180_000);
  const provider = new ProviderPage(page);
  const loaded = async (p: Page) => void (await expect(p.getByTestId("provider-console")).toBeVisible({ timeout: 20_000 }));
  // The demo provider `npm start` seeds (anvil #1): registered, with a model, a bid and the sessions of earlier tests.
  wallet.account = devAccounts[1];
  await provider.goto();
  await provider.connect();
  await expect(page.getByTestId("own-bid")).toHaveCount(1);
  await shoot(page, "/provider", "-demo-provider", loaded);
  // A wallet with nothing: the empty state.
  await wallet.switchAccount(page, privateKeyToAccount(generatePrivateKey()));
  await shoot(page, "/provider", "-new-wallet", loaded);
  // A refusal before the wallet opens.
  await provider.form("Register as a provider").getByLabel("Endpoint (host:port)").fill("127.0.0.1:3999");
  await provider.form("Register as a provider").getByLabel("Stake (MOR)").fill("0.01");
  await provider.form("Register as a provider").getByRole("button", { name: "Register" }).click();
  await expect(page.getByTestId("tx-status")).toContainText("Stake below the minimum of 0.2 MOR");
  await shootInPlace(page, "provider-refused");
});
