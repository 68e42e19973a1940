import { expect, type Page } from "@playwright/test";

/** The chat playground, or its sign-in gate. */
export class PlaygroundPage {
  constructor(private readonly page: Page) {}

  async goto() {
    await this.page.goto("/playground");
  }

  get gate() {
    return this.page.getByRole("region", { name: "Sign in to use the playground" });
  }
  get prompt() {
    return this.page.getByRole("textbox", { name: "Message" });
  }
  get answers() {
    return this.page.getByTestId("assistant-message");
  }
  get conversations() {
    return this.page.getByRole("complementary", { name: "Conversations" }).getByTestId("conversation-item").filter({ visible: true });
  }
  get stopButton() {
    return this.page.getByRole("button", { name: "Stop" });
  }
  get sendButton() {
    return this.page.getByRole("button", { name: "Send" });
  }

  /** Types a message and sends it with Enter, as a person would. */
  async ask(text: string) {
    await this.prompt.fill(text);
    await this.prompt.press("Enter");
    await expect(this.page.getByTestId("user-message").filter({ hasText: text }).first()).toBeVisible();
  }

  /** Waits for the answer to end (the first one waits for the gateway to open an on-chain session). */
  async expectAnswered(count: number) {
    await expect(this.answers).toHaveCount(count, { timeout: 60_000 });
    await expect(this.sendButton).toBeVisible({ timeout: 60_000 });
  }
}
