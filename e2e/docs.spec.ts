import { expect, test } from "@playwright/test";

test("API docs show how to call this gateway with curl and the OpenAI SDKs", async ({ page, baseURL }) => {
  await page.goto("/");
  await page.getByRole("link", { name: "Use the API" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Use the gateway" })).toBeVisible();
  // The examples point at the gateway as this browser reaches it.
  await expect(page.getByText(`${baseURL}/api/v1`).first()).toBeVisible();
  for (const section of ["2. curl", "3. OpenAI JavaScript / TypeScript SDK", "4. OpenAI Python SDK"]) {
    await expect(page.getByRole("heading", { name: section })).toBeVisible();
  }
  await expect(page.getByRole("row", { name: /429 rate_limit_exceeded/ })).toBeVisible();
});
