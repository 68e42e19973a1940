// Contract errors in words for people: the custom errors of the Compute Node and of the MOR token
// (OpenZeppelin's ERC-20 errors), decoded from a viem error (a failed simulation, a failed send or
// a reverted receipt). Pure: the provider page uses it in the browser.
import { BaseError, ContractFunctionRevertedError, UserRejectedRequestError, type Abi } from "viem";
import { computeNodeAbi, morTokenAbi } from "./contracts.generated";
import { formatMor } from "./format";

/** The Compute Node's ABI plus the MOR token's errors: a transferFrom that fails inside the Diamond bubbles the token's error up. */
export const computeNodeAbiWithTokenErrors = [...computeNodeAbi, ...morTokenAbi.filter((item) => item.type === "error")] as const satisfies Abi;

type Args = readonly unknown[] | undefined;
const mor = (value: unknown) => (typeof value === "bigint" ? formatMor(value) : "?");

const reasons: Record<string, (args: Args) => string> = {
  ProviderStakeTooLow: (a) => `Stake below the minimum of ${mor(a?.[1])} (the provider's stake would be ${mor(a?.[0])}).`,
  ModelStakeTooLow: (a) => `Stake below the minimum of ${mor(a?.[1])} (the model's stake would be ${mor(a?.[0])}).`,
  ProviderHasActiveBids: () => "The provider still has active bids: delete them before deregistering.",
  ProviderNotFound: () => "This address is not registered as a provider.",
  ProviderHasAlreadyDeregistered: () => "This provider is already deregistered.",
  ModelHasActiveBids: () => "The model still has active bids: they must be deleted before it is deregistered.",
  ModelNotFound: () => "No such model.",
  ModelHasAlreadyDeregistered: () => "This model is already deregistered.",
  MarketplaceProviderNotFound: () => "Register as a provider (and stay registered) before posting bids.",
  MarketplaceModelNotFound: () => "The model is not registered (or was deregistered).",
  MarketplaceBidPricePerSecondInvalid: () => "The price is outside the marketplace's minimum and maximum bid price.",
  MarketplaceActiveBidNotFound: () => "That bid is not active any more (already deleted or replaced).",
  InsufficientRightsForOperation: () => "This wallet may not act for that account (no delegated rights).",
  SessionProviderSignatureMismatch: () => "The provider's signature does not match.",
  SessionAlreadyClosed: () => "The session is already closed.",
  SessionBidNotFound: () => "The session's bid was not found.",
  ERC20InsufficientAllowance: (a) => `The Compute Node may spend only ${mor(a?.[1])} of your MOR but needs ${mor(a?.[2])}: approve the amount first.`,
  ERC20InsufficientBalance: (a) => `Not enough MOR: the wallet holds ${mor(a?.[1])} and ${mor(a?.[2])} is needed.`,
  OwnableUnauthorizedAccount: () => "Only the contract owner may do this.",
};

/** One sentence saying why a transaction failed or would fail. */
export function describeTransactionError(error: unknown): string {
  if (error instanceof BaseError) {
    if (error.walk((e) => e instanceof UserRejectedRequestError)) return "You rejected the request in your wallet.";
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (reverted instanceof ContractFunctionRevertedError) {
      const name = reverted.data?.errorName;
      if (name && reasons[name]) return reasons[name](reverted.data?.args);
      if (name) return `The contract refused it (${name}).`;
      if (reverted.reason) return `The contract refused it: ${reverted.reason}.`;
      return "The contract refused it without a reason.";
    }
    return error.shortMessage;
  }
  if (error instanceof Error && (error as { code?: unknown }).code === 4001) return "You rejected the request in your wallet.";
  return error instanceof Error ? error.message : String(error);
}
