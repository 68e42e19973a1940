// A test wallet for the browser: a fake EIP-1193 provider (window.ethereum) whose every request
// is answered on the Node side, where a viem account backed by a local private key signs
// (personal_sign, eth_signTypedData_v4, eth_sendTransaction) and every other call is forwarded
// to the e2e run's anvil. It behaves like MetaMask where wagmi / RainbowKit care (see
// shared/notes/stack.md): eth_accounts is [] until the site asks for the accounts
// (eth_requestAccounts or wallet_requestPermissions), wallet_revokePermissions forgets the grant,
// and a 4001 error is a user rejection.
//
//   import { expect, test } from "./support/wallet";
//   test("…", async ({ page, wallet }) => {
//     await page.goto("/dashboard");
//     await wallet.signIn(page);                       // connect + Sign-In with Ethereum via RainbowKit
//     await wallet.switchAccount(page, devAccounts[6]); // emits accountsChanged
//     wallet.rejectNext("personal_sign");              // the next signature request is refused (4001)
//     wallet.calls                                      // every method the page called, in order
//   });
//
// The fixture also records every request the page sends (`wallet.foreignRequests()` lists those
// that left the app's origin).
import { test as base, expect, type Page } from "@playwright/test";
import { createWalletClient, defineChain, hexToBigInt, http, type Hex, type LocalAccount } from "viem";
import { devAccounts } from "../../lib/chain/anvil";

export { expect };

/** The e2e run's local chain (playwright.config.ts moves its port with E2E_PORT_BASE). */
export const e2eChainId = 31337;
export const e2eRpcUrl = `http://127.0.0.1:${Number(process.env.E2E_PORT_BASE ?? 3100) + 5545}`;

type RpcRequest = { method: string; params?: unknown[] };
type RpcReply = { result: unknown } | { error: { code: number; message: string } };

class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

// Runs in the page before any of its scripts: the provider object the site sees.
function installProvider() {
  type Listener = (...args: unknown[]) => void;
  const listeners = new Map<string, Set<Listener>>();
  const call = (window as unknown as { __testWalletRequest(r: unknown): Promise<RpcReply> }).__testWalletRequest;
  const provider = {
    isTestWallet: true,
    async request(request: RpcRequest) {
      const reply = await call({ method: request.method, params: request.params ?? [] });
      if ("error" in reply) throw Object.assign(new Error(reply.error.message), { code: reply.error.code });
      return reply.result;
    },
    on(event: string, listener: Listener) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(listener);
      return provider;
    },
    removeListener(event: string, listener: Listener) {
      listeners.get(event)?.delete(listener);
      return provider;
    },
    emit(event: string, ...args: unknown[]) {
      for (const listener of listeners.get(event) ?? []) listener(...args);
    },
  };
  Object.defineProperty(window, "ethereum", { value: provider, configurable: true });
}

export class TestWallet {
  /** Every method the page called, in order. */
  readonly calls: string[] = [];
  /** Every call with its outcome (attached to failed tests). */
  readonly log: string[] = [];
  /** Every URL the page requested. */
  readonly requests: string[] = [];
  private granted = false;
  private readonly rejections = new Set<string>();

  constructor(
    public account: LocalAccount,
    readonly rpcUrl = e2eRpcUrl,
  ) {}

  /** Installs the provider in `page` (before its scripts run) and starts recording its requests. */
  async install(page: Page): Promise<void> {
    page.on("request", (request) => this.requests.push(request.url()));
    await page.exposeFunction("__testWalletRequest", (request: RpcRequest) => this.answer(request));
    await page.addInitScript(installProvider);
  }

  /** The next call of `method` fails as if the user clicked "Reject" (EIP-1193 code 4001). */
  rejectNext(method: string): void {
    this.rejections.add(method);
  }

  /** Switches the wallet to another account and tells the page (accountsChanged), as a wallet's account menu does. */
  async switchAccount(page: Page, account: LocalAccount): Promise<void> {
    this.account = account;
    await page.evaluate((address) => (window as unknown as { ethereum: { emit(e: string, a: string[]): void } }).ethereum.emit("accountsChanged", [address]), account.address);
  }

  /** Requests that left `origin` (default: the page's base URL). */
  foreignRequests(origin: string): string[] {
    return this.requests.filter((url) => !url.startsWith("data:") && !url.startsWith("blob:") && new URL(url).origin !== origin);
  }

  /**
   * Connects through RainbowKit's "Browser Wallet" and signs the SIWE message. Starts from any
   * page that shows a connect button labelled "Sign in" (`scope` narrows which one).
   */
  async signIn(page: Page, scope: Page | ReturnType<Page["locator"]> = page): Promise<void> {
    await scope.getByRole("button", { name: "Sign in" }).first().click();
    await page.getByRole("dialog").getByRole("button", { name: /Browser Wallet/ }).first().click();
    await this.clickSignMessage(page);
    await expect(page.getByRole("dialog")).toBeHidden();
    // The dialog closes while the verify request may still be setting the session cookie: a
    // navigation right after must find the session.
    await expect
      .poll(async () => ((await (await page.request.get("/api/auth/session")).json()) as { user: { address: string } | null }).user?.address)
      .toBe(this.account.address);
  }

  /**
   * Clicks RainbowKit's "Sign message" until the wallet is asked to sign. RainbowKit enables the
   * button once it has a nonce, but its click does nothing while wagmi has not yet settled the
   * connected chain (right after connecting): a person clicks again, so does this.
   */
  async clickSignMessage(page: Page): Promise<void> {
    const sign = page.getByTestId("rk-auth-message-button");
    const signatures = () => this.calls.filter((method) => method === "personal_sign").length;
    const before = signatures();
    for (let attempt = 1; ; attempt++) {
      await expect(sign).toBeEnabled();
      await sign.click();
      try {
        await expect.poll(signatures, { timeout: 2000 }).toBeGreaterThan(before);
        return;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  }

  private async answer(request: RpcRequest): Promise<RpcReply> {
    this.calls.push(request.method);
    try {
      if (this.rejections.delete(request.method)) throw new RpcError(4001, "User rejected the request.");
      const result = await this.handle(request.method, request.params ?? []);
      this.log.push(`${request.method} → ${JSON.stringify(result)?.slice(0, 200)}`);
      return { result };
    } catch (error) {
      const reply = error instanceof RpcError ? { code: error.code, message: error.message } : { code: -32603, message: error instanceof Error ? error.message : String(error) };
      this.log.push(`${request.method} → error ${reply.code} ${reply.message}`);
      return { error: reply };
    }
  }

  private permissions() {
    return [{ parentCapability: "eth_accounts", caveats: [{ type: "restrictReturnedAccounts", value: [this.account.address] }] }];
  }

  private async handle(method: string, params: unknown[]): Promise<unknown> {
    switch (method) {
      case "eth_requestAccounts":
        this.granted = true;
        return [this.account.address];
      case "wallet_requestPermissions":
        this.granted = true;
        return this.permissions();
      case "wallet_getPermissions":
        return this.granted ? this.permissions() : [];
      case "wallet_revokePermissions":
        this.granted = false;
        return null;
      case "eth_accounts":
        return this.granted ? [this.account.address] : [];
      case "eth_chainId":
        return `0x${e2eChainId.toString(16)}`;
      case "wallet_switchEthereumChain": {
        const { chainId } = params[0] as { chainId: string };
        if (Number(chainId) !== e2eChainId) throw new RpcError(4902, `Unrecognized chain ${chainId}`);
        return null;
      }
      case "wallet_addEthereumChain":
        return null;
      case "personal_sign": {
        this.assertGranted();
        const [data, address] = params as [Hex, string];
        this.assertSigner(address);
        return this.account.signMessage({ message: { raw: data } });
      }
      case "eth_signTypedData_v4": {
        this.assertGranted();
        const [address, json] = params as [string, string];
        this.assertSigner(address);
        return this.account.signTypedData(JSON.parse(json));
      }
      case "eth_sendTransaction": {
        this.assertGranted();
        const tx = params[0] as { from: string; to?: Hex; data?: Hex; value?: Hex; gas?: Hex };
        this.assertSigner(tx.from);
        const chain = defineChain({ id: e2eChainId, name: "anvil", nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [this.rpcUrl] } } });
        const client = createWalletClient({ account: this.account, chain, transport: http(this.rpcUrl) });
        return client.sendTransaction({
          to: tx.to,
          data: tx.data,
          value: tx.value ? hexToBigInt(tx.value) : undefined,
          gas: tx.gas ? hexToBigInt(tx.gas) : undefined,
        });
      }
      default:
        return this.forward(method, params);
    }
  }

  private assertGranted(): void {
    if (!this.granted) throw new RpcError(4100, "The site is not connected to this wallet.");
  }

  private assertSigner(address: string): void {
    if (address.toLowerCase() !== this.account.address.toLowerCase()) throw new RpcError(4100, `This wallet does not hold ${address}.`);
  }

  private async forward(method: string, params: unknown[]): Promise<unknown> {
    const response = await fetch(this.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as { result?: unknown; error?: { code: number; message: string } };
    if (body.error) throw new RpcError(body.error.code, body.error.message);
    return body.result;
  }
}

/** `test` with a `wallet` fixture: anvil dev account #5 installed in the page before it loads. */
export const test = base.extend<{ wallet: TestWallet }>({
  wallet: async ({ page }, provide, testInfo) => {
    const wallet = new TestWallet(devAccounts[5]);
    await wallet.install(page);
    await provide(wallet);
    // What the page asked the wallet, for the report of a failed test.
    if (testInfo.status !== testInfo.expectedStatus) await testInfo.attach("wallet-calls.txt", { body: wallet.log.join("\n"), contentType: "text/plain" });
  },
});
