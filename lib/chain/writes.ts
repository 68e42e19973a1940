// Typed writes to the Compute Node contracts. Each helper sends one transaction (after the MOR
// approval it needs, if any), waits for the receipt and returns what the caller wants from it.
// A revert surfaces as a ChainWriteError naming the contract's custom error, e.g.
// "openSession reverted: SessionTooShort()". Works with any viem wallet client with an account:
// the deploy script, the provider CLI, the consumer client and the gateway share these.
import {
  BaseError,
  ContractFunctionRevertedError,
  createWalletClient,
  custom,
  decodeErrorResult,
  encodePacked,
  erc20Abi,
  keccak256,
  parseEventLogs,
  stringToHex,
  type Abi,
  type Account,
  type Address,
  type Chain,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hash,
  type Hex,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from "viem";
import { computeNodeAbi, morTokenAbi } from "./contracts.generated";
import type { Reader } from "./reads";

/** Where the contracts are: the Compute Node (Diamond) and the MOR token. */
export interface ChainContext extends Reader {
  mor: Address;
}

/** A wallet client that signs as one account. */
export type ChainWallet = WalletClient<Transport, Chain | undefined, Account>;

export interface Written {
  hash: Hash;
  receipt: TransactionReceipt;
}

export class ChainWriteError extends Error {
  constructor(
    readonly functionName: string,
    message: string,
    /** The contract's custom error, e.g. "SessionTooShort", when the revert could be decoded. */
    readonly errorName?: string,
    readonly errorArgs?: readonly unknown[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ChainWriteError";
  }
}

/** A wallet client for `account` that sends through the context's public client. */
export function walletFor(ctx: Pick<ChainContext, "client">, account: Account): ChainWallet {
  return createWalletClient({ account, chain: ctx.client.chain, transport: custom(ctx.client) });
}

// Errors a write to the Compute Node can surface: its own, and the MOR token's (insufficient
// allowance or balance bubble up through the Diamond's transferFrom).
const knownErrors: Abi = [...computeNodeAbi, ...morTokenAbi].filter((item) => item.type === "error");

function formatArgs(args: readonly unknown[] | undefined): string {
  return (args ?? []).map((a) => (typeof a === "bigint" ? a.toString() : String(a))).join(", ");
}

function toWriteError(functionName: string, error: unknown): ChainWriteError {
  if (!(error instanceof BaseError)) return new ChainWriteError(functionName, `${functionName} failed: ${String(error)}`, undefined, undefined, { cause: error });
  const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (revert instanceof ContractFunctionRevertedError) {
    let decoded = revert.data;
    if (!decoded && revert.raw) {
      try {
        decoded = decodeErrorResult({ abi: knownErrors, data: revert.raw });
      } catch {
        decoded = undefined; // unknown selector: fall back to viem's message below
      }
    }
    if (decoded && decoded.errorName !== "Error" && decoded.errorName !== "Panic") {
      return new ChainWriteError(functionName, `${functionName} reverted: ${decoded.errorName}(${formatArgs(decoded.args)})`, decoded.errorName, decoded.args, { cause: error });
    }
    if (revert.reason) return new ChainWriteError(functionName, `${functionName} reverted: ${revert.reason}`, undefined, undefined, { cause: error });
  }
  return new ChainWriteError(functionName, `${functionName} failed: ${error.shortMessage}`, undefined, undefined, { cause: error });
}

type Mutating = "nonpayable" | "payable";

/** One state-changing call, its arguments typed by the ABI. */
type WriteRequest<A extends Abi, F extends ContractFunctionName<A, Mutating>> = {
  address: Address;
  abi: A;
  functionName: F;
  args: ContractFunctionArgs<A, Mutating, F>;
  account?: Account;
  chain?: Chain | undefined;
};

/**
 * Estimates the gas (where a revert shows up, with its reason) and sends with a margin. The bare
 * estimate is not enough: the block that includes the transaction can run a costlier path than
 * the estimate did (block.timestamp moves on: a session closed in the second it opened pays the
 * provider nothing when estimated and something when mined), and out of gas is a silent revert.
 */
async function writeWithMargin<const A extends Abi, const F extends ContractFunctionName<A, Mutating>>(
  ctx: Reader,
  wallet: ChainWallet,
  request: WriteRequest<A, F>,
): Promise<Hash> {
  const gas = await ctx.client.estimateContractGas({ ...request, account: wallet.account } as Parameters<Reader["client"]["estimateContractGas"]>[0]);
  return wallet.writeContract({ ...request, gas: gas + gas / 4n + 25_000n, account: wallet.account, chain: wallet.chain } as Parameters<ChainWallet["writeContract"]>[0]);
}

/** Sends (the gas estimate is where a revert shows up) and waits for success. */
async function send(ctx: Reader, functionName: string, submit: () => Promise<Hash>): Promise<Written> {
  let hash: Hash;
  try {
    hash = await submit();
  } catch (error) {
    throw toWriteError(functionName, error);
  }
  const receipt = await ctx.client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") {
    const reason = await minedRevertReason(ctx, hash, receipt.blockNumber);
    const detail = reason ? `: ${reason.errorName}(${formatArgs(reason.args)})` : "";
    throw new ChainWriteError(functionName, `${functionName} reverted on-chain${detail} (transaction ${hash})`, reason?.errorName, reason?.args);
  }
  return { hash, receipt };
}

/**
 * Why a mined transaction reverted, by replaying it on the state its block left (the conflicting
 * transaction may share its block, and the reverted one changed nothing). A transaction
 * whose estimate passed can still revert when something got in between (another gateway instance
 * spending the allowance this one approved): its reason tells a retryable conflict from a real
 * failure. Undefined when the replay does not revert or its reason is unknown.
 */
export async function minedRevertReason(ctx: Reader, hash: Hash, blockNumber: bigint): Promise<{ errorName: string; args: readonly unknown[] | undefined } | undefined> {
  try {
    const tx = await ctx.client.getTransaction({ hash });
    await ctx.client.call({ account: tx.from, to: tx.to, data: tx.input, value: tx.value, gas: tx.gas, blockNumber });
    return undefined;
  } catch (error) {
    const data = error instanceof BaseError ? (error.walk((e) => typeof (e as { data?: unknown }).data === "string") as { data?: Hex } | null)?.data : undefined;
    if (!data || data === "0x") return undefined;
    try {
      const decoded = decodeErrorResult({ abi: knownErrors, data });
      return { errorName: decoded.errorName, args: decoded.args };
    } catch {
      return undefined;
    }
  }
}

function diamondLogs(ctx: Reader, receipt: TransactionReceipt) {
  return parseEventLogs({ abi: computeNodeAbi, logs: receipt.logs.filter((l) => l.address.toLowerCase() === ctx.diamond.toLowerCase()) });
}


/**
 * Any state-changing Compute Node function by name, typed by the ABI: the one way every helper
 * below writes (estimate with a margin, send, wait for the receipt, decode the revert). Also for
 * owner settings and the functions that need no MOR approval.
 */
export async function writeComputeNode<const F extends ContractFunctionName<typeof computeNodeAbi, Mutating>>(
  ctx: Reader,
  wallet: ChainWallet,
  functionName: F,
  args: ContractFunctionArgs<typeof computeNodeAbi, Mutating, F>,
): Promise<Written> {
  return send(ctx, functionName, () =>
    writeWithMargin(ctx, wallet, { address: ctx.diamond, abi: computeNodeAbi, functionName, args }),
  );
}

// --- ids ---------------------------------------------------------------------------------------

/** A deterministic base model id for a model name (the Go tools use random ones; any bytes32 works). */
export function baseModelIdFor(name: string): Hex {
  return keccak256(stringToHex(name));
}

/** modelId = keccak256(abi.encodePacked(owner, baseModelId)), as the contract computes it. */
export function modelIdOf(owner: Address, baseModelId: Hex): Hex {
  return keccak256(encodePacked(["address", "bytes32"], [owner, baseModelId]));
}

/** bidId = keccak256(abi.encodePacked(provider, modelId, nonce)). */
export function bidIdOf(provider: Address, modelId: Hex, nonce: bigint): Hex {
  return keccak256(encodePacked(["address", "bytes32", "uint256"], [provider, modelId, nonce]));
}

// --- MOR allowance -----------------------------------------------------------------------------

/**
 * Makes sure the Compute Node may pull `amount` MOR from the wallet's account: approves exactly
 * `amount` (or `approveUpTo` when larger) when the current allowance is lower (plain ERC-20
 * approve, so any MOR deployment works). Returns the approval's hash, or undefined if the
 * allowance already sufficed.
 */
export async function ensureMorAllowance(ctx: ChainContext, wallet: ChainWallet, amount: bigint, { approveUpTo = 0n }: { approveUpTo?: bigint } = {}): Promise<Hash | undefined> {
  if (amount === 0n) return undefined;
  const current = await ctx.client.readContract({ address: ctx.mor, abi: erc20Abi, functionName: "allowance", args: [wallet.account.address, ctx.diamond] });
  if (current >= amount) return undefined;
  const approved = approveUpTo > amount ? approveUpTo : amount;
  const { hash } = await send(ctx, "approve", () =>
    writeWithMargin(ctx, wallet, { address: ctx.mor, abi: erc20Abi, functionName: "approve", args: [ctx.diamond, approved], account: wallet.account, chain: wallet.chain }),
  );
  return hash;
}

// --- providers ---------------------------------------------------------------------------------

/** Registers the wallet's account as a provider, or updates its endpoint and adds `stake` (may be 0). */
export async function registerProvider(ctx: ChainContext, wallet: ChainWallet, { endpoint, stake }: { endpoint: string; stake: bigint }): Promise<Written> {
  await ensureMorAllowance(ctx, wallet, stake);
  return writeComputeNode(ctx, wallet, "providerRegister", [wallet.account.address, stake, endpoint]);
}

/** Deregisters the provider (it must have no active bids) and returns its withdrawable stake. */
export async function deregisterProvider(ctx: ChainContext, wallet: ChainWallet): Promise<Written> {
  return writeComputeNode(ctx, wallet, "providerDeregister", [wallet.account.address]);
}

// --- models ------------------------------------------------------------------------------------

export interface ModelRegistration {
  name: string;
  tags: readonly string[];
  /** MOR added to the model's stake (the total must reach the model minimum stake). */
  stake: bigint;
  /** Default: baseModelIdFor(name), so re-registering the same name updates the same model. */
  baseModelId?: Hex;
  ipfsCID?: Hex;
  fee?: bigint;
}

/** Registers (or updates) a model owned by the wallet's account. */
export async function registerModel(ctx: ChainContext, wallet: ChainWallet, model: ModelRegistration): Promise<Written & { modelId: Hex }> {
  const owner = wallet.account.address;
  const baseModelId = model.baseModelId ?? baseModelIdFor(model.name);
  await ensureMorAllowance(ctx, wallet, model.stake);
  const written = await writeComputeNode(ctx, wallet, "modelRegister", [owner, baseModelId, model.ipfsCID ?? `0x${"00".repeat(32)}`, model.fee ?? 0n, model.stake, model.name, [...model.tags]]);
  return { ...written, modelId: modelIdOf(owner, baseModelId) };
}

/** Deregisters a model of the wallet's account (no active bids may serve it) and returns its stake. */
export async function deregisterModel(ctx: ChainContext, wallet: ChainWallet, modelId: Hex): Promise<Written> {
  return writeComputeNode(ctx, wallet, "modelDeregister", [modelId]);
}

// --- bids --------------------------------------------------------------------------------------

/** Posts the wallet's bid for a model (paying the bid fee); replaces its previous bid for that model. */
export async function postBid(
  ctx: ChainContext,
  wallet: ChainWallet,
  { modelId, pricePerSecond }: { modelId: Hex; pricePerSecond: bigint },
): Promise<Written & { bidId: Hex }> {
  const provider = wallet.account.address;
  const fee = await ctx.client.readContract({ address: ctx.diamond, abi: computeNodeAbi, functionName: "getBidFee" });
  await ensureMorAllowance(ctx, wallet, fee);
  const written = await writeComputeNode(ctx, wallet, "postModelBid", [provider, modelId, pricePerSecond]);
  const posted = diamondLogs(ctx, written.receipt).find((l) => l.eventName === "MarketplaceBidPosted");
  if (!posted || posted.eventName !== "MarketplaceBidPosted") throw new ChainWriteError("postModelBid", "postModelBid: no MarketplaceBidPosted event in the receipt");
  return { ...written, bidId: bidIdOf(provider, modelId, posted.args.nonce) };
}

export async function deleteBid(ctx: ChainContext, wallet: ChainWallet, bidId: Hex): Promise<Written> {
  return writeComputeNode(ctx, wallet, "deleteModelBid", [bidId]);
}

// --- sessions ----------------------------------------------------------------------------------

export interface OpenSessionParams {
  /** MOR staked: the cost itself for direct payment, else the stake whose stipend pays the session. */
  amount: bigint;
  /** The provider's signed approval (lib/morrpc signApproval / the session response). */
  approval: Hex;
  approvalSig: Hex;
  /** Pay the provider from the stake instead of from compute emissions. Default false. */
  directPayment?: boolean;
  /** When the allowance is short, approve this much instead of `amount` alone (see ensureMorAllowance). */
  approveUpTo?: bigint;
}

/** Opens a session as the wallet's account, approving the stake first if needed. */
export async function openSession(
  ctx: ChainContext,
  wallet: ChainWallet,
  { amount, approval, approvalSig, directPayment = false, approveUpTo }: OpenSessionParams,
): Promise<Written & { sessionId: Hex; provider: Address; openedAt: bigint; endsAt: bigint }> {
  await ensureMorAllowance(ctx, wallet, amount, { approveUpTo });
  const written = await writeComputeNode(ctx, wallet, "openSession", [wallet.account.address, amount, directPayment, approval, approvalSig]);
  const opened = diamondLogs(ctx, written.receipt).find((l) => l.eventName === "SessionOpened");
  if (!opened || opened.eventName !== "SessionOpened") throw new ChainWriteError("openSession", "openSession: no SessionOpened event in the receipt");
  const session = await ctx.client.readContract({
    address: ctx.diamond,
    abi: computeNodeAbi,
    functionName: "getSession",
    args: [opened.args.sessionId],
    blockNumber: written.receipt.blockNumber,
  });
  return { ...written, sessionId: opened.args.sessionId, provider: opened.args.provider, openedAt: session.openedAt, endsAt: session.endsAt };
}

/**
 * Closes a session of the wallet's account with a receipt (lib/morrpc signReport). Signed by the
 * provider it records the provider's stats; signed by anyone else it is a dispute.
 */
export async function closeSession(ctx: ChainContext, wallet: ChainWallet, { report, signedReport }: { report: Hex; signedReport: Hex }): Promise<Written> {
  return writeComputeNode(ctx, wallet, "closeSession", [report, signedReport]);
}

/** Withdraws the wallet's released on-hold stakes (up to `iterations` entries, default all 255). */
export async function withdrawUserStakes(ctx: ChainContext, wallet: ChainWallet, { iterations = 255 }: { iterations?: number } = {}): Promise<Written & { amount: bigint }> {
  const written = await writeComputeNode(ctx, wallet, "withdrawUserStakes", [wallet.account.address, iterations]);
  const withdrawn = diamondLogs(ctx, written.receipt).find((l) => l.eventName === "UserWithdrawn");
  return { ...written, amount: withdrawn?.eventName === "UserWithdrawn" ? withdrawn.args.amount : 0n };
}

/** Claims what the provider earned on a session and was not paid yet; returns the MOR received. */
export async function claimForProvider(ctx: ChainContext, wallet: ChainWallet, sessionId: Hex): Promise<Written & { amount: bigint }> {
  const provider = wallet.account.address.toLowerCase();
  const written = await writeComputeNode(ctx, wallet, "claimForProvider", [sessionId]);
  const transfers = parseEventLogs({ abi: erc20Abi, eventName: "Transfer", logs: written.receipt.logs.filter((l) => l.address.toLowerCase() === ctx.mor.toLowerCase()) });
  const amount = transfers.filter((t) => t.args.to.toLowerCase() === provider).reduce((sum, t) => sum + t.args.value, 0n);
  return { ...written, amount };
}

// --- plain transfers (the local faucet) ----------------------------------------------------------

/** Sends `amount` MOR from the wallet's account to `to`. */
export async function transferMor(ctx: ChainContext, wallet: ChainWallet, to: Address, amount: bigint): Promise<Written> {
  return send(ctx, "transfer", () =>
    writeWithMargin(ctx, wallet, { address: ctx.mor, abi: erc20Abi, functionName: "transfer", args: [to, amount], account: wallet.account, chain: wallet.chain }),
  );
}

/** Sends `amount` wei of the chain's native coin from the wallet's account to `to`. */
export async function sendEther(ctx: Reader, wallet: ChainWallet, to: Address, amount: bigint): Promise<Written> {
  return send(ctx, "sendTransaction", () => wallet.sendTransaction({ to, value: amount, account: wallet.account, chain: wallet.chain }));
}
