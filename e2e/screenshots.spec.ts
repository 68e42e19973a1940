// Screenshots of every page at desktop and phone widths, light and dark, for a person to look at
// (test-results/screenshots/<page>-<width>-<theme>.png). Each page must also not scroll sideways.
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { devAccounts } from "../lib/chain/dev-accounts";
import { DashboardPage } from "./pages/dashboard-page";
import { PlaygroundPage } from "./pages/playground-page";
import { ProviderPage } from "./pages/provider-page";
import { expect, test } from "./support/wallet";

const widths = [1280, 390];
const themes = ["light", "dark"] as const;
const pages = ["/", "/models", "/docs", "/dashboard", "/playground", "/provider"];

function fileName(path: string, width: number, theme: string, suffix = "") {
  const name = path === "/" ? "landing" : path.slice(1).split("?")[0].replace(/\//g, "-");
  return `test-results/screenshots/${name}${suffix}-${width}-${theme}.png`;
}

type Page = import("@playwright/test").Page;

async function shoot(
  page: Page,
  path: string,
  suffix = "",
  { name = path, reload = true, ready }: { name?: string; reload?: boolean; ready?: (page: Page) => Promise<void> } = {},
) {
  for (const theme of themes) {
    await page.emulateMedia({ colorScheme: theme });
    for (const width of widths) {
      await page.setViewportSize({ width, height: 900 });
      if (reload) await page.goto(path);
      await expect(page.locator("main")).toBeVisible();
      await ready?.(page);
      await ready?.(page);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${path} at ${width}px scrolls sideways`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: fileName(name, width, theme, suffix), fullPage: true });
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
  for (const path of ["/", "/dashboard", "/dashboard/usage", "/playground", "/provider"]) await shoot(page, path, "-signed-in");
  // The create-key form as the landing page's call to action opens it, and an error state.
  await shoot(page, "/dashboard?new-key", "-signed-in-new-key");
  await shoot(page, "/dashboard/usage?range=custom&from=2026-02-01&to=2026-01-01", "-signed-in-bad-filter");
});

test("screenshots of the dashboard's empty states (a wallet with no keys and no usage)", async ({ page, wallet }) => {
  test.setTimeout(120_000);
  wallet.account = devAccounts[7];
  const dashboard = new DashboardPage(page);
  await dashboard.goto();
  await wallet.signIn(page, dashboard.gate);
  await dashboard.expectSignedInAs(wallet.account.address);
  await expect(page.getByTestId("no-keys")).toBeVisible();
  for (const path of ["/dashboard", "/dashboard/usage"]) await shoot(page, path, "-empty");
  await expect(page.getByTestId("no-usage")).toBeVisible();
});

test("screenshots of the playground: a conversation with a Markdown answer, and an inline error", async ({ page, wallet, baseURL }) => {
  test.setTimeout(120_000);
  const playground = new PlaygroundPage(page);
  await playground.goto();
  await wallet.signIn(page, playground.gate);
  await playground.ask("Hello, who are you?");
  await playground.expectAnswered(1);
  await playground.ask("Show me some code please");
  await playground.expectAnswered(2);
  const id = new URL(page.url()).searchParams.get("c")!;
  await shoot(page, `/playground?c=${id}`, "-conversation", { name: "/playground" });

  // The inline error of a refused message (its conversation was deleted in another tab): shot as it stands, no reload.
  await page.request.delete(`/api/playground/conversations/${id}`, { headers: { origin: new URL(baseURL!).origin } });
  await playground.ask("Are you still there?");
  await expect(page.getByTestId("chat-error")).toBeVisible();
  await shoot(page, "/playground", "-error", { reload: false });
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
  await shoot(page, "/provider", "-demo-provider", { ready: loaded });
  // A wallet with nothing: the empty state.
  await wallet.switchAccount(page, privateKeyToAccount(generatePrivateKey()));
  await shoot(page, "/provider", "-new-wallet", { ready: loaded });
  // A refusal before the wallet opens.
  await provider.form("Register as a provider").getByLabel("Endpoint (host:port)").fill("127.0.0.1:3999");
  await provider.form("Register as a provider").getByLabel("Stake (MOR)").fill("0.01");
  await provider.form("Register as a provider").getByRole("button", { name: "Register" }).click();
  await expect(page.getByTestId("tx-status")).toContainText("Stake below the minimum of 0.2 MOR");
  await shootInPlace(page, "provider-refused");
});
