// The consumer client: a session's whole life with one provider, on-chain and over MOR-RPC.
// Ask the provider for an approval, open the session on-chain with a stake sized from the bid
// price, send prompts, then close with the provider-signed receipt — or, when the provider is
// gone or its receipt is unusable, with a self-signed one, which the contract records as a dispute.
import type { Address, Hash, Hex, LocalAccount } from "viem";
import { getSessionEconomics, stakeForDuration } from "@/lib/chain/reads";
import { closeSession, openSession, walletFor, type ChainContext, type ChainWallet } from "@/lib/chain/writes";
import {
  decodeReport,
  fetchSessionReport,
  MorRpcError,
  promptProvider,
  recoverReportSigner,
  requestSessionApproval,
  signReport,
  type PromptReply,
  type ProviderCallOptions,
} from "@/lib/morrpc";

export interface Consumer {
  ctx: ChainContext;
  /** The wallet that stakes and signs: its key is needed for MOR-RPC signatures and decryption. */
  privateKey: Hex;
  account: LocalAccount;
  wallet: ChainWallet;
  chainId: bigint;
}

export async function createConsumer(ctx: ChainContext, privateKey: Hex, account: LocalAccount): Promise<Consumer> {
  return { ctx, privateKey, account, wallet: walletFor(ctx, account), chainId: BigInt(await ctx.client.getChainId()) };
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
export class SessionOpenError extends Error {}

/**
 * Opens a session on `offer` lasting about `durationSeconds`. Direct payment stakes the cost
 * itself; otherwise the stake whose stipend covers it (the Go consumer's sizing).
 */
export async function openProviderSession(
  consumer: Consumer,
  offer: SessionOffer,
  { durationSeconds, directPayment = false, ...call }: { durationSeconds: bigint; directPayment?: boolean } & ProviderCallOptions,
): Promise<OpenedSession> {
  const economics = await getSessionEconomics(consumer.ctx);
  const stake = stakeForDuration(economics, offer.pricePerSecond, durationSeconds, directPayment);
  const approval = await requestSessionApproval(offer.endpoint, { bidId: offer.bidId, chainId: consumer.chainId, spend: stake }, consumer, call);
  if (approval.approvalSigner.toLowerCase() !== offer.provider.toLowerCase()) {
    throw new SessionOpenError(`the approval is signed by ${approval.approvalSigner}, not by the bid's provider ${offer.provider}`);
  }
  const opened = await openSession(consumer.ctx, consumer.wallet, {
    amount: stake,
    approval: approval.approval,
    approvalSig: approval.approvalSig,
    directPayment,
  });
  return {
    ...offer,
    sessionId: opened.sessionId,
    providerPubKey: approval.providerPubKey,
    stake,
    openedAt: opened.openedAt,
    endsAt: opened.endsAt,
    openTxHash: opened.hash,
  };
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

/** Closes the session on-chain with the provider's signed receipt, or as a dispute without one. */
export async function closeProviderSession(
  consumer: Consumer,
  session: Pick<OpenedSession, "endpoint" | "sessionId" | "providerPubKey" | "provider">,
  options: ProviderCallOptions = {},
): Promise<ClosedSession> {
  let receipt: { report: Hex; signedReport: Hex } | undefined;
  let disputeReason: string | undefined;
  try {
    receipt = await fetchSessionReport(session.endpoint, { sessionId: session.sessionId, providerPubKey: session.providerPubKey }, consumer, options);
    const report = decodeReport(receipt.report);
    const signer = recoverReportSigner(receipt.report, receipt.signedReport);
    if (report.sessionId.toLowerCase() !== session.sessionId.toLowerCase() || report.chainId !== consumer.chainId) {
      throw new MorRpcError("validation_failed", "the receipt is for another session or chain");
    }
    if (signer?.toLowerCase() !== session.provider.toLowerCase()) throw new MorRpcError("invalid_signature", "the receipt is not signed by the provider");
  } catch (error) {
    receipt = undefined;
    disputeReason = (error as Error).message;
  }
  if (!receipt) {
    // Same format as the provider's, signed by us: the contract closes it as a dispute (no stats).
    receipt = signReport(
      { sessionId: session.sessionId, chainId: consumer.chainId, timestamp: BigInt(Date.now()), tpsScaled1000: 0, ttftMs: 0, inputTokens: 0, outputTokens: 0 },
      consumer.privateKey,
    );
  }
  const { hash } = await closeSession(consumer.ctx, consumer.wallet, receipt);
  return { closeTxHash: hash, disputed: disputeReason !== undefined, ...(disputeReason ? { disputeReason } : {}) };
}
