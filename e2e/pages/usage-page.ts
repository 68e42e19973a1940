import { expect, type Page } from "@playwright/test";

/** The dashboard's usage page. */
export class UsagePage {
  constructor(private readonly page: Page) {}

  async goto(query = "") {
    await this.page.goto(`/dashboard/usage${query}`);
  }

  row(requestId: string) {
    return this.page.locator(`[data-testid="usage-row"][data-request-id="${requestId}"]`);
  }

  /** Reloads until the request's row is on the page (usage records are written off the request's path). */
  async waitForRow(requestId: string) {
    await expect(async () => {
      await this.page.reload();
      await expect(this.row(requestId)).toBeVisible({ timeout: 1000 });
    }).toPass({ timeout: 20_000 });
    return this.row(requestId);
  }

  get charts() {
    return this.page.getByTestId("usage-charts");
  }
}
