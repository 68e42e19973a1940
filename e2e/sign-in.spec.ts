import { devAccounts } from "../lib/chain/anvil";
import { DashboardPage } from "./pages/dashboard-page";
import { expect, test } from "./support/wallet";

test("connect a browser wallet, sign in with Ethereum, stay signed in across a reload, sign out — all on the app's origin", async ({ page, wallet, baseURL }) => {
  const dashboard = new DashboardPage(page);
  const address = wallet.account.address;
  await dashboard.goto();
  await expect(dashboard.gate).toBeVisible();

  await wallet.signIn(page, dashboard.gate);
  await dashboard.expectSignedInAs(address);
  expect(wallet.calls).toContain("personal_sign");

  await page.reload();
  await dashboard.expectSignedInAs(address);
  await expect(page.getByTestId("rk-account-button")).toBeVisible();

  // Site pages carry no wallet code yet show who is signed in (from the session cookie).
  await page.getByRole("link", { name: "Morpheus" }).first().click();
  await expect(page.getByRole("link", { name: `Signed in as ${address}: open the dashboard` })).toBeVisible();

  await dashboard.goto();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(dashboard.gate).toBeVisible();
  const session = await page.request.get("/api/auth/session");
  expect(await session.json()).toEqual({ user: null });

  expect(wallet.foreignRequests(new URL(baseURL!).origin)).toEqual([]);
});

test("switching the wallet's account signs you out", async ({ page, wallet }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.goto();
  await wallet.signIn(page, dashboard.gate);
  await dashboard.expectSignedInAs(wallet.account.address);

  await wallet.switchAccount(page, devAccounts[6]);
  await expect(dashboard.gate).toBeVisible();
  expect(await (await page.request.get("/api/auth/session")).json()).toEqual({ user: null });
});

test("a refused signature leaves you signed out, and signing in again works", async ({ page, wallet }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.goto();
  wallet.rejectNext("personal_sign");
  await dashboard.gate.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("dialog").getByRole("button", { name: /Browser Wallet/ }).first().click();
  await wallet.clickSignMessage(page);
  // RainbowKit returns to the idle step, still signed out: sign again, this time accepted.
  expect(await (await page.request.get("/api/auth/session")).json()).toEqual({ user: null });
  await wallet.clickSignMessage(page);
  await dashboard.expectSignedInAs(wallet.account.address);
});

test("the theme toggle switches between light and dark and is remembered", async ({ page }) => {
  await page.emulateMedia({ colorScheme: "light" });
  await page.goto("/");
  const html = page.locator("html");
  await expect(html).not.toHaveClass(/dark/);
  await page.getByRole("button", { name: "Switch between light and dark theme" }).click();
  await expect(html).toHaveClass(/dark/);
  await page.reload();
  await expect(html).toHaveClass(/dark/);
});

test("at phone width the header folds its links into a keyboard-reachable menu", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/");
  await expect(page.getByRole("link", { name: "Playground" })).toBeHidden();
  await page.getByText("Menu").or(page.getByLabel("Menu")).first().focus();
  await page.keyboard.press("Enter");
  await page.getByRole("link", { name: "Docs" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Use the gateway" })).toBeVisible();
});
