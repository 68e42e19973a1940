import { expect, test } from "@playwright/test";
import { ModelsPage } from "./pages/models-page";

test("landing page explains the marketplace and links to the catalog", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "How it works" })).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: "A session opens on-chain" })).toBeVisible();
  await page.getByRole("link", { name: "Browse models" }).click();
  await expect(page).toHaveURL(/\/models$/);
});

test("models page shows the seeded demo model and its bid read from the local chain", async ({ page }) => {
  const models = new ModelsPage(page);
  await models.goto();
  const demo = models.model("morpheus-demo-chat");
  await expect(demo).toBeVisible();
  await expect(demo.getByText("demo", { exact: true })).toBeVisible();
  const bid = demo.getByTestId("bid-row");
  await expect(bid).toHaveCount(1);
  // The seeded bid: anvil account #1 at 1e14 wei/s = 0.36 MOR per hour.
  await expect(bid).toContainText("0x7099…79C8");
  await expect(bid).toContainText(`127.0.0.1:${Number(process.env.E2E_PORT_BASE ?? 3100) + 333}`); // the e2e run's provider node (playwright.config.ts)
  await expect(bid).toContainText("0.36 MOR/h");
});
