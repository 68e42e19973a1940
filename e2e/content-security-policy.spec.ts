// Every page runs under a strict, nonce-based Content-Security-Policy (issue 10): a fresh nonce per
// request in the header, on every script of the page, and no CSP violation in the browser on any
// page — site pages, the wallet pages signed out and signed in, RainbowKit's dialog and a streamed
// playground answer. API responses keep the static policy (nothing runs there).
import type { Page } from "@playwright/test";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { PlaygroundPage } from "./pages/playground-page";
import { expect, test } from "./support/wallet";

/** Collects every CSP violation the page reports (the DOM event and the browser's console error). */
async function watchViolations(page: Page): Promise<string[]> {
  const violations: string[] = [];
  await page.exposeFunction("__reportCspViolation", (text: string) => violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      const report = (window as unknown as { __reportCspViolation(text: string): void }).__reportCspViolation;
      report(`${location.pathname}: ${event.effectiveDirective} blocked ${event.blockedURI || "inline"} (${event.sourceFile}:${event.lineNumber}) ${event.sample}`);
    });
  });
  page.on("console", (message) => {
    if (/Content.Security.Policy|Refused to (execute|load|apply|connect|frame|evaluate)/i.test(message.text())) violations.push(`console on ${page.url()}: ${message.text()}`);
  });
  return violations;
}

/** The page's policy header, checked to be the strict nonce policy; returns its nonce. */
function pageNonce(policy: string | undefined): string {
  expect(policy).toBeDefined();
  const match = /script-src 'self' 'nonce-([A-Za-z0-9+/=]{22,})' 'strict-dynamic'(;|$)/.exec(policy!);
  expect(match, policy).not.toBeNull();
  expect(policy).toContain(`style-src 'self' 'nonce-${match![1]}'`);
  expect(policy).toContain("object-src 'none'");
  expect(policy).toContain("frame-ancestors 'none'");
  expect(policy).not.toContain("unsafe-eval");
  return match![1];
}

/** Visits `path`, checks its policy header, and that the page's JavaScript runs under it (the theme toggle works). */
async function visit(page: Page, path: string, options: { status?: number } = {}): Promise<void> {
  const response = await page.goto(path);
  expect(response!.status(), path).toBe(options.status ?? 200);
  pageNonce(response!.headers()["content-security-policy"]);
  const html = page.locator("html");
  const toggle = page.getByRole("button", { name: "Switch between light and dark theme" });
  const dark = await html.evaluate((element) => element.classList.contains("dark"));
  // Clicked until React has hydrated (a click before that does nothing).
  await expect(async () => {
    await toggle.click();
    await expect(html).toHaveClass(dark ? /^(?!.*\bdark\b)/ : /\bdark\b/, { timeout: 1000 });
  }).toPass({ timeout: 15_000 });
}

test("the policy header carries a fresh nonce per request, on every script of the page; API responses keep the static policy", async ({ request }) => {
  const first = await request.get("/");
  const second = await request.get("/");
  const nonce = pageNonce(first.headers()["content-security-policy"]);
  expect(pageNonce(second.headers()["content-security-policy"])).not.toBe(nonce);
  expect(first.headers()["x-content-type-options"]).toBe("nosniff");
  // One policy: the proxy's replaces the static one of next.config.mjs (two would both apply).
  expect(first.headersArray().filter((h) => h.name.toLowerCase() === "content-security-policy")).toHaveLength(1);

  const html = await first.text();
  const scripts = html.match(/<script\b[^>]*>/g) ?? [];
  expect(scripts.length).toBeGreaterThan(0);
  for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);

  for (const path of ["/api/v1/models", "/api/auth/session"]) {
    const response = await request.get(path);
    const headers = response.headers();
    expect(response.headersArray().filter((h) => h.name.toLowerCase() === "content-security-policy"), path).toHaveLength(1);
    expect(headers["content-security-policy"], path).toBe("frame-ancestors 'none'; base-uri 'self'; object-src 'none'; form-action 'self'");
    expect(headers["x-content-type-options"], path).toBe("nosniff");
    expect(headers["x-frame-options"], path).toBe("DENY");
  }
});

test("no CSP violation on any page, signed out: site pages, a model's page, a missing page, the wallet pages and RainbowKit's dialog", async ({ page, wallet }) => {
  void wallet; // the wallet pages offer a browser wallet only when one is installed
  const violations = await watchViolations(page);
  for (const path of ["/", "/models", "/status", "/docs"]) await visit(page, path);
  await visit(page, "/no-such-page", { status: 404 });

  await page.goto("/models");
  const modelLink = page.locator('a[href^="/models/0x"]').first();
  await expect(modelLink).toBeVisible();
  await visit(page, (await modelLink.getAttribute("href"))!);

  for (const path of ["/dashboard", "/dashboard/usage", "/playground", "/provider"]) await visit(page, path);
  await page.goto("/dashboard");
  await page.getByRole("region", { name: "Sign in to your dashboard" }).getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("dialog").getByRole("button", { name: /Browser Wallet/ }).first()).toBeVisible();
  // The dialog's wallet icons are loaded images (data: URLs): wait for them before judging.
  await expect.poll(() => page.getByRole("dialog").locator("img").evaluateAll((images) => images.every((image) => (image as HTMLImageElement).complete))).toBe(true);

  expect(violations).toEqual([]);
});

test("no CSP violation signed in: the dashboard, usage, provider pages and a streamed playground answer", async ({ page, wallet }) => {
  test.setTimeout(120_000);
  const violations = await watchViolations(page);
  // A wallet of its own: the conversation it leaves is no other test's business (signing in costs nothing).
  wallet.account = privateKeyToAccount(generatePrivateKey());
  const playground = new PlaygroundPage(page);
  await playground.goto();
  await wallet.signIn(page, playground.gate);
  await playground.ask("Show me some code please");
  await playground.expectAnswered(1);
  await expect(playground.answers.first().locator("pre code .hljs-keyword").first()).toBeVisible();

  for (const path of ["/dashboard", "/dashboard/usage", "/provider", "/playground"]) {
    await visit(page, path);
    await expect(page.getByTestId("rk-account-button")).toBeVisible();
  }
  expect(violations).toEqual([]);
});
