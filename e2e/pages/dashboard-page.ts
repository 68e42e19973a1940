import { expect, type Page } from "@playwright/test";

/** The signed-in dashboard, or its sign-in gate. */
export class DashboardPage {
  constructor(private readonly page: Page) {}

  async goto() {
    await this.page.goto("/dashboard");
  }

  /** The gate shown without a session (holds its own "Sign in" button). */
  get gate() {
    return this.page.getByRole("region", { name: "Sign in to your dashboard" });
  }

  async expectSignedInAs(address: string) {
    await expect(this.page.getByTestId("signed-in-as")).toContainText(address);
  }
}
