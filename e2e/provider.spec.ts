// A new provider, from a fresh wallet with nothing in it to a served model and back, on the e2e
// marketplace of playwright.config.ts: faucet, registration, model, bid in MOR/h, /models,
// models-config.json, a provider node started with the CLI, a request through /api/v1, the bid
// deleted, deregistration. Plus the refusals that happen before the wallet opens.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createApiKey } from "./support/api-key";
import { ProviderPage } from "./pages/provider-page";
import { ModelsPage } from "./pages/models-page";
import { expect, test, type TestWallet } from "./support/wallet";

const base = Number(process.env.E2E_PORT_BASE ?? 3100);
const root = path.resolve(import.meta.dirname, "..");
const demoModelUrl = `http://127.0.0.1:${base + 334}/v1/chat/completions`;

const sentTransactions = (wallet: TestWallet) => wallet.calls.filter((m) => m === "eth_sendTransaction").length;

/** Starts `npm run provider -- serve` as a provider would, resolving once it listens. */
function startProviderNode(config: string, listen: string, privateKey: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/provider.ts", "serve", "--config", config, "--listen", listen, "--state", `${config}.state.json`], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production", CHAIN: "local", DATA_DIR: ".data/e2e", RPC_URL: "", PROVIDER_PRIVATE_KEY: privateKey },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the provider node did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/serving \d+ model\(s\) over MOR-RPC/.test(output)) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the provider node exited (${code}):\n${output}`));
    });
  });
}

test("a new provider gets test funds, registers, lists a model, bids in MOR/h, serves it through /api/v1, then unbids and deregisters", async ({ page, wallet }, testInfo) => {
  test.setTimeout(300_000);
  const privateKey = generatePrivateKey();
  wallet.account = privateKeyToAccount(privateKey); // a wallet nobody funded: the faucet must
  const modelName = `e2e-provider-${wallet.account.address.slice(2, 10).toLowerCase()}`;
  const listen = `127.0.0.1:${base + 401}`;
  const provider = new ProviderPage(page);
  let node: ChildProcess | undefined;
  try {
    await provider.goto();
    await provider.connect();
    await expect(page.getByTestId("provider-address")).toHaveText(wallet.account.address);
    await expect(page.getByTestId("mor-balance")).toHaveText("0 MOR");

    // Test funds.
    await page.getByRole("button", { name: "Get test ETH and MOR" }).click();
    await expect(page.getByText("Sent 10 ETH and 100 MOR.")).toBeVisible();
    await expect(page.getByTestId("mor-balance")).toHaveText("100 MOR");

    // A stake below the minimum is refused before the wallet opens, naming the minimum read from the chain.
    const register = provider.form("Register as a provider");
    await expect(page.getByTestId("provider-min-stake")).toHaveText("0.2 MOR");
    await register.getByLabel("Endpoint (host:port)").fill(listen);
    await register.getByLabel("Stake (MOR)").fill("0.1");
    await register.getByRole("button", { name: "Register" }).click();
    await expect(provider.status(provider.section("Provider"))).toHaveText(/Register as a provider: Stake below the minimum of 0\.2 MOR\./);
    expect(sentTransactions(wallet)).toBe(0);
    // So is a malformed endpoint.
    await register.getByLabel("Endpoint (host:port)").fill(`http://${listen}`);
    await register.getByLabel("Stake (MOR)").fill("1");
    await register.getByRole("button", { name: "Register" }).click();
    await expect(provider.status(provider.section("Provider"))).toHaveText(/host:port with no scheme/);
    expect(sentTransactions(wallet)).toBe(0);

    // Register: approve exactly 1 MOR, then providerRegister.
    await register.getByLabel("Endpoint (host:port)").fill(listen);
    await register.getByRole("button", { name: "Register" }).click();
    await expect(provider.status(provider.section("Provider"))).toContainText("Register as a provider: confirmed.", { timeout: 30_000 });
    expect(sentTransactions(wallet)).toBe(2);
    await expect(page.getByTestId("provider-status")).toHaveText("Active");
    await expect(page.getByTestId("provider-record")).toContainText(listen);
    await expect(page.getByTestId("mor-balance")).toHaveText("99 MOR");

    // A model.
    const modelForm = provider.form("Register a model");
    await modelForm.getByRole("textbox", { name: /^Name/ }).fill(modelName);
    await modelForm.getByLabel("Tags").fill("e2e, chat");
    await modelForm.getByRole("button", { name: "Register the model" }).click();
    await expect(provider.status(modelForm)).toContainText("Register the model: confirmed.", { timeout: 30_000 });
    const modelId = (await page.getByTestId("registered-model-id").locator("code").textContent())!;
    expect(modelId).toMatch(/^0x[0-9a-f]{64}$/);
    await expect(page.getByTestId("own-model").filter({ hasText: modelName })).toContainText(modelId);

    // A bid: below the minimum price it is refused before the wallet opens; the rounding to wei/s is shown.
    const bidForm = provider.form("Post a bid");
    await expect(bidForm.getByLabel("Model")).toHaveValue(modelId);
    await expect(page.getByTestId("bid-fee")).toHaveText("0.3 MOR");
    const before = sentTransactions(wallet);
    await bidForm.getByLabel("Price (MOR per hour)").fill("0.000001");
    await bidForm.getByRole("button", { name: "Post the bid" }).click();
    await expect(provider.status(bidForm)).toHaveText(/Price below the minimum of 0\.0036 MOR\/h \(1000000000000 wei per second\)\./);
    expect(sentTransactions(wallet)).toBe(before);
    await bidForm.getByLabel("Price (MOR per hour)").fill("1");
    await expect(page.getByTestId("price-quote")).toHaveText(/1 MOR\/h = 277777777777777 wei\/s, rounded down: the bid charges 0\.9999999999999972 MOR per hour/);
    await bidForm.getByLabel("Price (MOR per hour)").fill("0.72");
    await expect(page.getByTestId("price-quote")).toHaveText("The contract counts wei per second: 0.72 MOR/h = 200000000000000 wei/s, exactly.");
    await bidForm.getByRole("button", { name: "Post the bid" }).click();
    await expect(provider.status(bidForm)).toContainText("Post the bid: confirmed.", { timeout: 30_000 });
    await expect(page.getByTestId("own-bid")).toContainText(modelName);
    await expect(page.getByTestId("own-bid")).toContainText("0.72 MOR/h");

    // Deregistering with an active bid: the contract's refusal, decoded, before the wallet opens.
    const sent = sentTransactions(wallet);
    await page.getByRole("button", { name: "Deregister" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "Deregister:" })).toHaveText(/The provider still has active bids: delete them before deregistering\./);
    expect(sentTransactions(wallet)).toBe(sent);

    // The models-config.json for the node, pointing the model at the demo upstream.
    const row = page.getByTestId("config-row").filter({ hasText: modelName });
    await row.getByLabel("API URL").fill(demoModelUrl);
    await row.getByLabel("Concurrent slots").fill("4");
    await expect(page.getByText(`npm run provider -- serve --config models-config.json --listen 0.0.0.0:${base + 401}`)).toBeVisible();
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download models-config.json" }).click()]);
    expect(download.suggestedFilename()).toBe("models-config.json");
    const configFile = testInfo.outputPath("models-config.json");
    await download.saveAs(configFile);
    expect(JSON.parse(fs.readFileSync(configFile, "utf8"))).toEqual({
      $schema: "./internal/config/models-config-schema.json",
      models: [{ modelId, modelName, apiType: "openai", apiUrl: demoModelUrl, concurrentSlots: 4, capacityPolicy: "simple" }],
    });

    // The catalog lists the bid at its price.
    const models = new ModelsPage(page);
    await expect(async () => {
      await models.goto();
      await expect(models.model(modelName).getByTestId("bid-row")).toContainText("0.72 MOR/h", { timeout: 1000 });
    }).toPass({ timeout: 60_000 });
    await expect(models.model(modelName).getByTestId("bid-row")).toContainText(listen);

    // The node serves it: a request through the gateway with an API key reaches the new model.
    node = await startProviderNode(configFile, listen, privateKey);
    const apiKey = await createApiKey(wallet.account.address, "provider e2e");
    await expect(async () => {
      const response = await fetch(`http://localhost:${base}/api/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: modelName, messages: [{ role: "user", content: "Hello from a new provider" }], max_tokens: 16 }),
        signal: AbortSignal.timeout(30_000),
      });
      const body = (await response.json()) as { model?: string; choices?: { message: { content: string } }[]; error?: unknown };
      expect(response.status, JSON.stringify(body)).toBe(200);
      expect(body.choices?.[0]?.message.content).toBeTruthy();
    }).toPass({ timeout: 90_000 });

    // Unbid: gone from the page and from the catalog.
    await provider.goto();
    await provider.console.waitFor();
    await page.getByTestId("own-bid").getByRole("button", { name: "Delete" }).click();
    await expect(provider.status(provider.section("Bids")).first()).toContainText(`Delete the bid for ${modelName}: confirmed.`, { timeout: 30_000 });
    await expect(page.getByTestId("own-bid")).toHaveCount(0);
    await expect(async () => {
      await models.goto();
      await expect(models.model(modelName)).toContainText("No active bids", { timeout: 1000 });
    }).toPass({ timeout: 60_000 });

    // Deregister: the stake comes back.
    await provider.goto();
    await expect(page.getByTestId("deregister-returns")).toContainText("Deregistering sends back 1 MOR now");
    await page.getByRole("button", { name: "Deregister" }).click();
    await expect(page.getByText("Deregister: confirmed.")).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId("provider-status")).toHaveText("Deregistered");
  } finally {
    node?.kill("SIGTERM");
  }
});
