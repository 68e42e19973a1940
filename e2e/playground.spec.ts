import { PlaygroundPage } from "./pages/playground-page";
import { expect, test } from "./support/wallet";

test("chat in the playground: a streamed Markdown answer with its provider and TTFT, stop a stream, reload, rename, delete — all on the app's origin", async ({ page, wallet, baseURL }) => {
  test.setTimeout(120_000);
  const playground = new PlaygroundPage(page);
  await playground.goto();
  await wallet.signIn(page, playground.gate);
  await expect(page.getByTestId("chat-empty")).toBeVisible();
  await expect(page.getByTestId("model-select")).toHaveValue("morpheus-demo-chat");

  // The demo model answers a request for code in Markdown: a heading, a list and a highlighted code block.
  await playground.ask("Show me some code please");
  await playground.expectAnswered(1);
  const answer = playground.answers.first();
  await expect(answer.getByRole("heading", { name: "Demo code" })).toBeVisible();
  await expect(answer.locator("li strong", { hasText: "Deterministic" })).toBeVisible();
  await expect(answer.locator("pre code.language-ts")).toContainText("export function wordCount(text: string): number {");
  await expect(answer.locator("pre code .hljs-keyword").first()).toBeVisible();
  await expect(answer.getByTestId("answer-provider")).toHaveText(/^0x[0-9a-fA-F]{4}…[0-9a-fA-F]{4}$/);
  await expect(answer.getByTestId("answer-ttft")).toHaveText(/^TTFT \d+ ms$/);
  await expect(answer.getByTestId("answer-stats")).toContainText(/\d+ in \/ \d+ out/);

  // A slow answer renders while it streams; Esc stops it where it is.
  await playground.ask("Tell me a long story slowly");
  const slow = playground.answers.nth(1);
  await expect(slow).toContainText("Demo reply to");
  await expect(playground.stopButton).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(playground.sendButton).toBeVisible();
  await expect(slow.getByTestId("answer-stopped")).toBeVisible();
  const stoppedText = await slow.innerText();
  expect(stoppedText).not.toContain("Slow sentence 12 of 12");

  // Reload: the conversation is saved (the stopped answer too, once the server has written it), listed and reopened.
  const id = new URL(page.url()).searchParams.get("c");
  await expect
    .poll(async () => ((await (await page.request.get(`/api/playground/conversations/${id}`)).json()) as { conversation: { messages: unknown[] } }).conversation.messages.length)
    .toBe(4);
  await page.reload();
  await expect(playground.conversations).toHaveCount(1);
  await expect(playground.conversations.first()).toContainText("Show me some code please");
  await expect(playground.answers).toHaveCount(2);
  await expect(playground.answers.nth(1).getByTestId("answer-stopped")).toBeVisible();
  await expect(playground.answers.first().getByTestId("answer-provider")).toBeVisible();

  // Rename, and the new title survives a reload.
  await page.getByRole("button", { name: "Rename Show me some code please" }).filter({ visible: true }).click();
  await page.getByRole("textbox", { name: "Conversation title" }).fill("Code questions");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(playground.conversations.first()).toContainText("Code questions");
  await page.reload();
  await expect(playground.conversations.first()).toContainText("Code questions");

  // Delete, with a confirmation.
  await page.getByRole("button", { name: "Delete Code questions" }).filter({ visible: true }).click();
  await page.getByRole("button", { name: "Delete", exact: true }).filter({ visible: true }).click();
  await expect(playground.conversations).toHaveCount(0);
  await expect(page.getByTestId("chat-empty")).toBeVisible();
  await page.reload();
  await expect(playground.conversations).toHaveCount(0);

  expect(wallet.foreignRequests(new URL(baseURL!).origin)).toEqual([]);
});

test("playground: an error is shown inline with the server's message, and View code shows the request without a secret", async ({ page, wallet, baseURL }) => {
  const playground = new PlaygroundPage(page);
  await playground.goto();
  await wallet.signIn(page, playground.gate);
  await playground.ask("Hello there");
  await playground.expectAnswered(1);

  // The conversation is deleted elsewhere (another tab): the next message is refused, inline.
  const id = new URL(page.url()).searchParams.get("c")!;
  const deleted = await page.request.delete(`/api/playground/conversations/${id}`, { headers: { origin: new URL(baseURL!).origin } });
  expect(deleted.status()).toBe(200);
  await playground.ask("Are you still there?");
  await expect(page.getByTestId("chat-error")).toContainText("No such conversation: it may have been deleted.");

  await page.getByRole("button", { name: "View code" }).click();
  const dialog = page.getByRole("dialog", { name: "This request from your code" });
  await expect(dialog).toContainText("Authorization: Bearer $MORPHEUS_API_KEY");
  await expect(dialog).toContainText('"model": "morpheus-demo-chat"');
  await dialog.getByRole("tab", { name: "Python" }).click();
  await expect(dialog).toContainText('api_key=os.environ["MORPHEUS_API_KEY"]');
  await dialog.getByRole("tab", { name: "OpenAI JS" }).click();
  await expect(dialog).toContainText("apiKey: process.env.MORPHEUS_API_KEY");
  await expect(dialog).not.toContainText(/mor_sk_[0-9A-Za-z]{38}/);
});
