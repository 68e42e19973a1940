// The consumer client: a session's whole life with one provider, on-chain and over MOR-RPC.
// Ask the provider for an approval, open the session on-chain with a stake sized from the bid
// price, send prompts, then close with the provider-signed receipt — or, when the provider is
// gone or its receipt is unusable, with a self-signed one, which the contract records as a dispute.
import type { Address, Hash, Hex, LocalAccount } from "viem";
import { canSignForProvider, getSessionEconomics, stakeForDuration } from "@/lib/chain/reads";
import { closeSession, openSession, walletFor, type ChainContext, type ChainWallet } from "@/lib/chain/writes";
import {
  decodeApproval,
  decodeReport,
  isApprovalFresh,
  fetchSessionReport,
  MorRpcError,
  promptProvider,
  recoverReportSigner,
  requestSessionApproval,
  signReport,
  type PromptReply,
  type ProviderCallOptions,
  type SessionApproval,
} from "@/lib/morrpc";

export interface Consumer {
  ctx: ChainContext;
  /** The wallet that stakes and signs: its key is needed for MOR-RPC signatures and decryption. */
  privateKey: Hex;
  account: LocalAccount;
  wallet: ChainWallet;
  chainId: bigint;
  /**
   * When an opening finds the MOR allowance short, approve the stakes of this many sessions at
   * once (default 1: exactly the stake). Instances sharing one wallet need more: with exact
   * approvals one instance's openSession spends the allowance another checked moments before.
   */
  approveSessions: number;
}

export async function createConsumer(ctx: ChainContext, privateKey: Hex, account: LocalAccount, { approveSessions = 1 }: { approveSessions?: number } = {}): Promise<Consumer> {
  if (!Number.isInteger(approveSessions) || approveSessions < 1) throw new Error(`approveSessions must be a positive integer, not ${approveSessions}`);
  return { ctx, privateKey, account, wallet: walletFor(ctx, account), chainId: BigInt(await ctx.client.getChainId()), approveSessions };
}

/** A bid as the consumer needs it to open a session. */
export interface SessionOffer {
  bidId: Hash;
  provider: Address;
  /** host:port, from the provider's on-chain registration. */
  endpoint: string;
  pricePerSecond: bigint;
}

export interface OpenedSession extends SessionOffer {
  sessionId: Hash;
  /** Replies are verified against it (from the provider's session response). */
  providerPubKey: Hex;
  stake: bigint;
  openedAt: bigint;
  endsAt: bigint;
  openTxHash: Hash;
}

/** The provider refused or the approval does not check out: try another bid. */
export class SessionOpenError extends Error {
  override name = "SessionOpenError";
}

/** A provider's signed approval for a session, with the stake it will be opened with. */
export interface ApprovedSession {
  offer: SessionOffer;
  approval: SessionApproval;
  stake: bigint;
  directPayment: boolean;
}

/**
 * Step 1 of opening: asks the provider for an approval, for the stake whose stipend covers the
 * duration (both payment modes: the contract derives every session's end from the stipend).
 */
export async function requestApproval(
  consumer: Consumer,
  offer: SessionOffer,
  { durationSeconds, directPayment = false, ...call }: { durationSeconds: bigint; directPayment?: boolean } & ProviderCallOptions,
): Promise<ApprovedSession> {
  const economics = await getSessionEconomics(consumer.ctx);
  const stake = stakeForDuration(economics, offer.pricePerSecond, durationSeconds);
  const approval = await requestSessionApproval(offer.endpoint, { bidId: offer.bidId, chainId: consumer.chainId, spend: stake }, consumer, call);
  if (!(await isSignedForProvider(consumer, offer.provider, approval.approvalSigner))) {
    throw new SessionOpenError(`the approval is signed by ${approval.approvalSigner}, who may not sign for the bid's provider ${offer.provider}`);
  }
  await checkApprovalFresh(consumer, approval);
  return { offer, approval, stake, directPayment };
}

/**
 * Whether an approval or receipt signer is one the contract accepts for `provider` (read on-chain):
 * the provider, a delegate.xyz delegatee with its PROVIDER rights, or owner() of a contract
 * provider. Anything else would revert openSession or turn the close into a dispute.
 */
export async function isSignedForProvider(consumer: Pick<Consumer, "ctx">, provider: Address, signer: Address | null): Promise<boolean> {
  return signer !== null && canSignForProvider(consumer.ctx, provider, signer);
}

/** An approval openSession would refuse as expired is refused here, before any transaction (seconds or Go's milliseconds: isApprovalFresh). */
async function checkApprovalFresh(consumer: Consumer, approval: SessionApproval): Promise<void> {
  const { timestamp } = decodeApproval(approval.approval);
  const now = await latestBlockTime(consumer);
  if (!isApprovalFresh(timestamp, now)) {
    throw new SessionOpenError(`the provider's approval expired: its timestamp ${timestamp} is over 10 minutes before chain time ${now}`);
  }
}

/** Step 2 of opening: the on-chain openSession (MOR allowance first if needed). */
export async function openApprovedSession(consumer: Consumer, approved: ApprovedSession): Promise<OpenedSession> {
  const opened = await openSession(consumer.ctx, consumer.wallet, {
    amount: approved.stake,
    approval: approved.approval.approval,
    approvalSig: approved.approval.approvalSig,
    directPayment: approved.directPayment,
    approveUpTo: approved.stake * BigInt(consumer.approveSessions),
  });
  return {
    ...approved.offer,
    sessionId: opened.sessionId,
    providerPubKey: approved.approval.providerPubKey,
    stake: approved.stake,
    openedAt: opened.openedAt,
    endsAt: opened.endsAt,
    openTxHash: opened.hash,
  };
}

/** Opens a session on `offer` lasting about `durationSeconds` (requestApproval + openApprovedSession). */
export async function openProviderSession(
  consumer: Consumer,
  offer: SessionOffer,
  options: { durationSeconds: bigint; directPayment?: boolean } & ProviderCallOptions,
): Promise<OpenedSession> {
  return openApprovedSession(consumer, await requestApproval(consumer, offer, options));
}

/** Sends one OpenAI-style request in the session; yields decrypted chunks (see promptProvider). */
export function promptSession(
  consumer: Consumer,
  session: Pick<OpenedSession, "endpoint" | "sessionId" | "providerPubKey">,
  request: Record<string, unknown>,
  options: ProviderCallOptions = {},
): AsyncGenerator<PromptReply> {
  return promptProvider(session.endpoint, { sessionId: session.sessionId, request, providerPubKey: session.providerPubKey }, consumer, options);
}

export interface ClosedSession {
  closeTxHash: Hash;
  /** True when the provider's receipt could not be had and the session was closed as a dispute. */
  disputed: boolean;
  /** Why the provider's receipt was not used, when disputed. */
  disputeReason?: string;
}

/** The receipt a session is closed with: the provider's, or our own (a dispute) when that fails. */
export interface CloseReceipt {
  report: Hex;
  signedReport: Hex;
  disputed: boolean;
  /** Why the provider's receipt was not used, when disputed. */
  disputeReason?: string;
}

/**
 * Step 1 of closing: the provider's signed receipt (checked to be for this session and chain and
 * signed by a key the contract accepts for the provider, see isSignedForProvider), or when the provider is gone or its receipt is unusable a receipt in
 * the same format signed by us, which the contract records as a dispute. Without the provider's
 * public key (a session found only on-chain) the receipt's signer check alone vouches for it.
 */
export async function obtainCloseReceipt(
  consumer: Consumer,
  session: Pick<OpenedSession, "endpoint" | "sessionId" | "provider"> & { providerPubKey?: Hex },
  {
    ifUnreachable = "dispute",
    ...options
  }: ProviderCallOptions & {
    /** A provider that does not answer (dial error, timeout, dropped connection): "throw" lets the caller retry later instead of disputing. */
    ifUnreachable?: "dispute" | "throw";
  } = {},
): Promise<CloseReceipt> {
  try {
    const receipt = await fetchSessionReport(session.endpoint, { sessionId: session.sessionId, providerPubKey: session.providerPubKey }, consumer, options);
    const report = decodeReport(receipt.report);
    if (report.sessionId.toLowerCase() !== session.sessionId.toLowerCase() || report.chainId !== consumer.chainId) {
      throw new MorRpcError("validation_failed", "the receipt is for another session or chain");
    }
    const signer = recoverReportSigner(receipt.report, receipt.signedReport);
    if (!(await isSignedForProvider(consumer, session.provider, signer))) {
      throw new MorRpcError("invalid_signature", `the receipt is signed by ${signer ?? "nobody"}, who may not sign for the provider ${session.provider}`);
    }
    return { ...receipt, disputed: false };
  } catch (error) {
    if (ifUnreachable === "throw" && isUnreachable(error)) throw error;
    const own = signReport(
      { sessionId: session.sessionId, chainId: consumer.chainId, timestamp: await latestBlockTime(consumer), tpsScaled1000: 0, ttftMs: 0, inputTokens: 0, outputTokens: 0 },
      consumer.privateKey,
    );
    return { ...own, disputed: true, disputeReason: (error as Error).message };
  }
}

/** Receipts carry chain time in seconds: the contract refuses one once block.timestamp passes it by 10 minutes. */
async function latestBlockTime(consumer: Consumer): Promise<bigint> {
  return (await consumer.ctx.client.getBlock({ blockTag: "latest" })).timestamp;
}

const UNREACHABLE: ReadonlySet<string> = new Set(["dial_failed", "timeout", "connection_closed"]);

/** The provider did not answer (it may come back), as opposed to an answer that is not a usable receipt. */
function isUnreachable(error: unknown): boolean {
  return error instanceof MorRpcError && UNREACHABLE.has(error.code);
}

/** Step 2 of closing: the on-chain closeSession with that receipt. */
export async function submitClose(consumer: Consumer, receipt: Pick<CloseReceipt, "report" | "signedReport">): Promise<Hash> {
  return (await closeSession(consumer.ctx, consumer.wallet, receipt)).hash;
}

/** Closes the session on-chain with the provider's signed receipt, or as a dispute without one. */
export async function closeProviderSession(
  consumer: Consumer,
  session: Pick<OpenedSession, "endpoint" | "sessionId" | "providerPubKey" | "provider">,
  options: ProviderCallOptions = {},
): Promise<ClosedSession> {
  const receipt = await obtainCloseReceipt(consumer, session, options);
  const closeTxHash = await submitClose(consumer, receipt);
  return { closeTxHash, disputed: receipt.disputed, ...(receipt.disputeReason ? { disputeReason: receipt.disputeReason } : {}) };
}
