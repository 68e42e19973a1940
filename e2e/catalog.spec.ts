import { expect, test, type Page } from "@playwright/test";
import { ModelsPage } from "./pages/models-page";
import { createApiKey } from "./support/api-key";

// The seeded demo offer of `npm start` (lib/chain/local-marketplace.ts): anvil account #1 at 0.36 MOR/h.
const DEMO = "morpheus-demo-chat";
const providerEndpoint = `127.0.0.1:${Number(process.env.E2E_PORT_BASE ?? 3100) + 333}`;

/**
 * Full-page screenshots at desktop and phone widths, light and dark, for a person to look at
 * (test-results/screenshots); the page must not scroll sideways at either width.
 */
async function screenshots(page: Page, name: string) {
  for (const theme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme: theme });
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${name} at ${width}px scrolls sideways`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: `test-results/screenshots/${name}-${width}-${theme}.png`, fullPage: true });
    }
  }
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 1280, height: 900 });
}

test("the catalog shows each bid's price, Morpheus rating and on-chain stats", async ({ page }) => {
  const models = new ModelsPage(page);
  await models.goto();
  const bid = models.model(DEMO).getByTestId("bid-row");
  await expect(bid).toHaveCount(1);
  await expect(bid.getByTestId("bid-price")).toHaveText(/0\.36 MOR\/h/);
  // A fresh chain: the demo provider has a rating from its stake and price, and no closed session yet.
  await expect(bid.getByTestId("bid-rating")).toHaveText(/^Rating?\s*[\d,.]+$/);
  await expect(bid.getByTestId("bid-sessions")).toHaveText(/^(Sessions)?\s*0$/);
  await expect(bid.getByTestId("bid-success")).toHaveText(/—$/);
  await expect(bid.getByTestId("bid-ttft")).toHaveText(/—$/);
  await screenshots(page, "models");
});

test("the catalog filters by text and tag and sorts, without JavaScript", async ({ browser, baseURL }) => {
  const context = await browser.newContext({ javaScriptEnabled: false, baseURL });
  const page = await context.newPage();
  const models = new ModelsPage(page);
  await models.goto();
  const search = page.getByRole("search", { name: "Filter models" });

  await search.getByLabel("Search").fill("no-such-model");
  await search.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/q=no-such-model/);
  await expect(page.getByText("No model matches this filter.")).toBeVisible();
  await expect(page.getByTestId("model-card")).toHaveCount(0);
  await expect(page.getByTestId("model-count")).toHaveText("0 of 1 models");

  await page.getByRole("link", { name: "Clear" }).click();
  await search.getByLabel("Tag").selectOption("deterministic");
  await search.getByLabel("Sort by").selectOption("price");
  await search.getByLabel("With bids only").check();
  await search.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/tag=deterministic/);
  await expect(page).toHaveURL(/sort=price/);
  await expect(models.model(DEMO)).toBeVisible();
  await expect(search.getByLabel("Sort by")).toHaveValue("price");
  await expect(page.getByTestId("model-count")).toHaveText("1 model");
  await context.close();
});

test("a model's page shows its providers and how to call it by its exact id", async ({ page, baseURL }) => {
  const models = new ModelsPage(page);
  await models.goto();
  await models.model(DEMO).getByRole("link", { name: DEMO }).click();
  await expect(page).toHaveURL(/\/models\/0x[0-9a-f]{64}$/);
  await expect(page.getByRole("heading", { level: 1, name: DEMO })).toBeVisible();
  const bid = page.getByTestId("bid-row");
  await expect(bid).toHaveCount(1);
  await expect(bid).toContainText("0x7099…79C8");
  await expect(bid).toContainText(providerEndpoint);
  await expect(bid.getByTestId("bid-price")).toHaveText("0.36 MOR/h");
  await expect(page.getByRole("link", { name: "Try it in the playground" })).toHaveAttribute("href", `/playground?model=${DEMO}`);
  const snippets = page.getByTestId("api-snippets");
  await expect(snippets).toContainText(`${baseURL}/api/v1/chat/completions`);
  await expect(snippets).toContainText(`"model":"${DEMO}"`);
  await expect(snippets).toContainText(`model: "${DEMO}",`);
  await screenshots(page, "model");
});

test("an unknown or malformed model id is a 404 page", async ({ page }) => {
  for (const id of [`0x${"ab".repeat(32)}`, "not-a-model-id"]) {
    const response = await page.goto(`/models/${id}`);
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "Model not found" })).toBeVisible();
  }
  await screenshots(page, "model-not-found");
});

test("the status page shows the demo provider answering with its latency, and the chain head", async ({ page }) => {
  // The server pings on start and then on an interval: wait for a round that saw the provider.
  await expect(async () => {
    await page.goto("/status");
    await expect(page.getByTestId("provider-status").filter({ hasText: providerEndpoint })).toContainText("up", { timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  const row = page.getByTestId("provider-status").filter({ hasText: providerEndpoint });
  await expect(row).toContainText("0x7099…79C8");
  await expect(row.getByTestId("provider-latency")).toHaveText(/^\d+ ms$/);
  await expect(page.getByTestId("chain-head")).toContainText(/Block \d+, mined/);
  await expect(page.getByTestId("pool-totals")).toContainText("Sessions open");
  await screenshots(page, "status");

  await page.goto("/");
  await screenshots(page, "landing");
  await expect(page.getByTestId("network-status-summary")).toContainText(/1 of 1 provider answering · \d+ gateway sessions? open · block \d+ \(.*\) · Status/);
  await page.getByTestId("network-status-summary").getByRole("link", { name: "Status" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Network status" })).toBeVisible();
  
});

test("a request through the API shows in the status page's session pool", async ({ page, request }) => {
  const key = await createApiKey("0x0000000000000000000000000000000000000e2e", "status pool e2e");
  const response = await request.post("/api/v1/chat/completions", {
    headers: { authorization: `Bearer ${key}` },
    data: { model: DEMO, messages: [{ role: "user", content: "Hello from the status test" }] },
    timeout: 60_000,
  });
  expect(response.status()).toBe(200);

  // The status is read at most every few seconds: reload until a read after the request shows it.
  const row = page.getByTestId("pool-model").filter({ hasText: DEMO });
  await expect(async () => {
    await page.goto("/status");
    await expect(row).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  // The session that served the request stays open (idle) for the next one: counted and staked.
  await expect(page.getByTestId("pool-totals")).toContainText(/Sessions open\s*[1-9]/);
  await expect(page.getByTestId("pool-totals")).not.toContainText(/MOR staked in open sessions\s*0 MOR/);
  await screenshots(page, "status-with-pool");
});

test("the site's pages load with no failed request, and the browser's icon is the site's own", async ({ page }) => {
  const failed: string[] = [];
  page.on("response", (response) => {
    if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
  });
  for (const path of ["/", "/models", "/docs", "/status"]) {
    await page.goto(path, { waitUntil: "networkidle" });
    const icon = await page.locator('link[rel~="icon"]').first().getAttribute("href");
    expect(icon, `${path} names an icon`).toBeTruthy();
    expect((await page.request.get(icon!)).status(), `${path}'s icon`).toBe(200);
  }
  expect(failed).toEqual([]);
});
