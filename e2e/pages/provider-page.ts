import { expect, type Page } from "@playwright/test";

/** /provider: the provider's on-chain console (wallet connected; no sign-in needed). */
export class ProviderPage {
  constructor(readonly page: Page) {}

  async goto() {
    await this.page.goto("/provider");
    await expect(this.page.getByRole("heading", { level: 1, name: "Provider" })).toBeVisible();
  }

  /** Connects the browser (test) wallet, without signing in: chain actions need no sign-in. */
  async connect() {
    await this.page.getByRole("button", { name: /^Connect / }).first().click();
    await expect(this.console).toBeVisible({ timeout: 20_000 });
  }

  get console() {
    return this.page.getByTestId("provider-console");
  }

  section(name: RegExp | string) {
    return this.page.getByRole("region", { name });
  }

  form(name: string) {
    return this.page.getByRole("form", { name });
  }

  /** The confirmation (or failure) of the transaction started from `scope`. */
  status(scope: ReturnType<Page["locator"]>) {
    return scope.getByTestId("tx-status");
  }
}
