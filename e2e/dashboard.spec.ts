// A new API user's way through the portal: the landing page's "Get an API key", wallet sign-in,
// a key created on the dashboard and used from the official OpenAI SDK, the request on the usage
// page and in its CSV export, the key revoked and refused, sign-out.
import fs from "node:fs";
import OpenAI from "openai";
import { DEMO_MODEL_NAME } from "../lib/demo-model/reply";
import { DashboardPage } from "./pages/dashboard-page";
import { UsagePage } from "./pages/usage-page";
import { expect, test } from "./support/wallet";

test("get an API key, call the gateway with the OpenAI SDK, see the request on the usage page and in the CSV, revoke it, sign out", async ({ page, wallet, baseURL }) => {
  test.setTimeout(180_000);
  const dashboard = new DashboardPage(page);

  // The landing page shows the live marketplace and leads to the create-key form through sign-in.
  await page.goto("/");
  await expect(page.getByTestId("figure-models")).toHaveText(/^[1-9]/);
  await expect(page.getByTestId("figure-bids")).toHaveText(/^[1-9]/);
  await expect(page.getByTestId("figure-providers")).toHaveText(/^[1-9]/);
  await expect(page.getByTestId("figure-sessions")).toHaveText(/^\d/);
  await page.getByRole("link", { name: "Get an API key" }).click();
  await expect(page).toHaveURL(/\/dashboard\?new-key/);
  await wallet.signIn(page, dashboard.gate);
  await dashboard.expectSignedInAs(wallet.account.address);

  // The form is open (?new-key); its model list is the live catalog.
  const form = page.getByRole("form", { name: "New API key" });
  await expect(form).toBeVisible();
  await form.getByLabel("Name").fill("e2e app");
  await form.getByRole("checkbox", { name: new RegExp(DEMO_MODEL_NAME) }).check();
  await form.getByLabel("Requests per minute").fill("120");
  await form.getByRole("button", { name: "Create key" }).click();
  const reveal = page.getByTestId("new-key");
  await expect(reveal).toBeVisible();
  const apiKey = (await reveal.locator("pre code").first().textContent())!.trim();
  expect(apiKey).toMatch(/^mor_sk_[0-9A-Za-z]{38}$/);
  await expect(reveal.getByText(`MORPHEUS_API_KEY=${apiKey}`)).toBeVisible();
  await expect(reveal.getByText(/curl .*\/api\/v1\/chat\/completions/)).toBeVisible();
  await reveal.getByRole("button", { name: "I have stored my key" }).click();
  await expect(reveal).toBeHidden();
  const keyRow = page.getByTestId("key-row").filter({ hasText: "e2e app" });
  await expect(keyRow).toContainText(apiKey.slice(0, 12));
  await expect(keyRow).toContainText("120 rpm");
  await expect(keyRow).toContainText(DEMO_MODEL_NAME);

  // The key works from the official SDK, as any API user's code would use it.
  const client = new OpenAI({ baseURL: `${baseURL}/api/v1`, apiKey, maxRetries: 0, timeout: 60_000 });
  const { data: completion, response } = await client.chat.completions
    .create({ model: DEMO_MODEL_NAME, messages: [{ role: "user", content: "Hello from the dashboard test" }] })
    .withResponse();
  expect(completion.choices[0].message.content).toBeTruthy();
  const requestId = response.headers.get("x-request-id")!;
  expect(requestId).toBeTruthy();

  // The usage page shows it: a row with the provider and the on-chain session, and the charts.
  await page.getByRole("link", { name: "Usage" }).click();
  await expect(page).toHaveURL(/\/dashboard\/usage$/);
  const usage = new UsagePage(page);
  const row = await usage.waitForRow(requestId);
  await expect(row).toContainText("e2e app");
  await expect(row).toContainText(DEMO_MODEL_NAME);
  await expect(row.getByTestId("usage-provider")).toHaveText(/^0x[0-9a-fA-F]{6}…[0-9a-fA-F]{6}$/);
  await expect(row.getByTestId("usage-session")).toHaveText(/^0x[0-9a-f]{6}…[0-9a-f]{6}$/);
  const session = await row.getByTestId("usage-session").locator("span").getAttribute("title");
  await expect(usage.charts.locator("svg.recharts-surface").first()).toBeVisible();
  await expect(page.getByRole("region", { name: "By key" })).toContainText("e2e app");

  // Filtered to the key, the CSV holds exactly the rows the page shows.
  const keyId = await keyIdOf(page, "e2e app");
  await page.locator('select[name="key"]').selectOption(keyId);
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(new RegExp(`key=${keyId}`));
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: /Export CSV/ }).click()]);
  const csv = fs.readFileSync((await download.path())!, "utf8").trimEnd().split("\r\n");
  expect(csv[0]).toBe("time_utc,request_id,key,key_prefix,model,endpoint,stream,status,error_code,provider,session_id,prompt_tokens,completion_tokens,ttft_ms,duration_ms");
  const csvRows = csv.slice(1).map((line) => line.split(","));
  // The URL changes before the filtered table replaces the previous one: wait for the filtered rows.
  const shownRows = () => page.getByTestId("usage-row").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-request-id")));
  await expect.poll(shownRows).toEqual(csvRows.map((cells) => cells[1]));
  expect(await shownRows()).toContain(requestId);
  const mine = csvRows.find((cells) => cells[1] === requestId)!;
  expect(mine.slice(2, 5)).toEqual(["e2e app", apiKey.slice(0, 12), DEMO_MODEL_NAME]);
  expect(mine[7]).toBe("ok");
  expect(mine[10]).toBe(session);

  // Revoked (after a confirmation), the key is refused by the gateway within its refresh interval.
  await page.getByRole("link", { name: "API keys" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.getByRole("button", { name: "Revoke e2e app" }).click();
  const confirm = page.getByRole("dialog", { name: "Revoke “e2e app”?" });
  await confirm.getByRole("button", { name: "Revoke key" }).click();
  await expect(confirm).toBeHidden();
  await expect(page.getByTestId("key-row").filter({ hasText: "e2e app" })).toContainText("revoked");
  await expect
    .poll(
      async () => {
        try {
          await client.models.list();
          return 200;
        } catch (error) {
          return error instanceof OpenAI.APIError ? error.status : String(error);
        }
      },
      { timeout: 15_000 },
    )
    .toBe(401);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(dashboard.gate).toBeVisible();
  expect(wallet.foreignRequests(new URL(baseURL!).origin)).toEqual([]);
});

test("another wallet's key id on the usage page is not found, and the export answers 404", async ({ page, wallet }) => {
  const dashboard = new DashboardPage(page);
  await dashboard.goto();
  await wallet.signIn(page, dashboard.gate);
  await dashboard.expectSignedInAs(wallet.account.address); // the session cookie is set before navigating away
  const foreign = "00000000-0000-4000-8000-000000000000";
  // The page streams (the wallet layout starts the response), so "not found" is its content, not its status.
  await page.goto(`/dashboard/usage?key=${foreign}`);
  await expect(page.getByText("This page could not be found.")).toBeVisible();
  await expect(page.getByTestId("usage-charts")).toHaveCount(0);
  expect((await page.request.get(`/api/usage/export?key=${foreign}`)).status()).toBe(404);
});

async function keyIdOf(page: import("@playwright/test").Page, name: string): Promise<string> {
  const option = page.locator('select[name="key"] option', { hasText: name });
  return (await option.getAttribute("value"))!;
}
