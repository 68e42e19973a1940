import { expect, type Page } from "@playwright/test";

/** The model catalog, read live from the chain. */
export class ModelsPage {
  constructor(private readonly page: Page) {}

  async goto() {
    await this.page.goto("/models");
    await expect(this.page.getByRole("heading", { level: 1, name: "Models" })).toBeVisible();
  }

  model(name: string) {
    return this.page.getByTestId("model-card").filter({ has: this.page.getByRole("heading", { name }) });
  }
}
