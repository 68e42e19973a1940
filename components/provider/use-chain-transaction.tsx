"use client";

// One Compute Node transaction as the provider pages run it: checks first (minimums and fees read
// from the chain), the MOR approve step when the allowance is short (the exact amount, never
// unlimited), a simulation that catches a revert before the wallet opens, then the wallet, the
// pending transaction (with an explorer link when the network has one) and its receipt; the
// page's chain data is read again once it mined. Failures are told in words (lib/chain/revert-reason).
import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useState } from "react";
import { erc20Abi, type Address, type ContractFunctionArgs, type ContractFunctionName, type Hash, type TransactionReceipt } from "viem";
import { useAccount, useConfig, useWriteContract } from "wagmi";
import { readContract, simulateContract, waitForTransactionReceipt } from "wagmi/actions";
import { formatMor } from "@/lib/chain/format";
import { computeNodeAbiWithTokenErrors, describeTransactionError } from "@/lib/chain/revert-reason";

type Abi = typeof computeNodeAbiWithTokenErrors;
type WriteName = ContractFunctionName<Abi, "nonpayable" | "payable">;

export interface ChainContracts {
  diamond: Address;
  mor: Address;
  explorerUrl?: string;
}

export type TransactionState =
  | { phase: "idle" }
  | { phase: "checking"; step: string }
  | { phase: "wallet"; step: string }
  | { phase: "pending"; step: string; hash: Hash }
  | { phase: "confirmed"; step: string; hash: Hash; note?: string }
  | { phase: "failed"; step: string; message: string; hash?: Hash };

export interface TransactionPlan<F extends WriteName> {
  /** What the transaction does, for people: "Register as a provider". */
  title: string;
  functionName: F;
  args: ContractFunctionArgs<Abi, "nonpayable" | "payable", F>;
  /** MOR the Compute Node will pull from the wallet (stake, bid fee): approved first when the allowance is short. */
  spends?: bigint;
  /** A refusal before anything is asked of the wallet, or null to go on. */
  check?: () => string | null;
  /** A sentence about what the mined transaction did. */
  onMined?: (receipt: TransactionReceipt) => string | undefined;
}

export const overviewQueryKey = ["provider-overview"] as const;

export function useChainTransaction(contracts: ChainContracts) {
  const config = useConfig();
  const { address } = useAccount();
  const { writeContractAsync } = useWriteContract();
  const queryClient = useQueryClient();
  const [state, setState] = useState<TransactionState>({ phase: "idle" });

  const mine = useCallback(
    async (step: string, hash: Hash) => {
      setState({ phase: "pending", step, hash });
      return waitForTransactionReceipt(config, { hash, timeout: 120_000 });
    },
    [config],
  );

  const run = useCallback(
    async <F extends WriteName>(plan: TransactionPlan<F>): Promise<boolean> => {
      let step = plan.title;
      let hash: Hash | undefined;
      try {
        if (!address) throw new Error("Connect your wallet first.");
        setState({ phase: "checking", step });
        const refused = plan.check?.();
        if (refused) {
          setState({ phase: "failed", step, message: refused });
          return false;
        }
        if (plan.spends && plan.spends > 0n) {
          const [allowance, balance] = await Promise.all([
            readContract(config, { address: contracts.mor, abi: erc20Abi, functionName: "allowance", args: [address, contracts.diamond] }),
            readContract(config, { address: contracts.mor, abi: erc20Abi, functionName: "balanceOf", args: [address] }),
          ]);
          if (balance < plan.spends) {
            setState({ phase: "failed", step, message: `Not enough MOR: this needs ${formatMor(plan.spends)} and the wallet holds ${formatMor(balance)}.` });
            return false;
          }
          if (allowance < plan.spends) {
            step = `Approve ${formatMor(plan.spends)} for the Compute Node`;
            setState({ phase: "wallet", step });
            hash = await writeContractAsync({ address: contracts.mor, abi: erc20Abi, functionName: "approve", args: [contracts.diamond, plan.spends] });
            const approval = await mine(step, hash);
            if (approval.status !== "success") {
              setState({ phase: "failed", step, hash, message: "The approval was reverted." });
              return false;
            }
            hash = undefined;
            step = plan.title;
          }
        }
        setState({ phase: "checking", step });
        // Reverts are caught here, before the wallet opens.
        const { request } = await simulateContract(config, {
          account: address,
          address: contracts.diamond,
          abi: computeNodeAbiWithTokenErrors,
          functionName: plan.functionName,
          args: plan.args,
        } as never);
        setState({ phase: "wallet", step });
        hash = await writeContractAsync(request as never);
        const receipt = await mine(step, hash);
        if (receipt.status !== "success") {
          // Mined but reverted (the chain moved since the simulation): replay it at that block for the reason.
          let message = "The transaction was reverted.";
          try {
            await simulateContract(config, {
              account: address,
              address: contracts.diamond,
              abi: computeNodeAbiWithTokenErrors,
              functionName: plan.functionName,
              args: plan.args,
              blockNumber: receipt.blockNumber,
            } as never);
          } catch (error) {
            message = describeTransactionError(error);
          }
          setState({ phase: "failed", step, hash, message });
          return false;
        }
        setState({ phase: "confirmed", step, hash, note: plan.onMined?.(receipt) });
        return true;
      } catch (error) {
        setState({ phase: "failed", step, hash, message: describeTransactionError(error) });
        return false;
      } finally {
        await queryClient.invalidateQueries({ queryKey: overviewQueryKey });
      }
    },
    [address, config, contracts, mine, queryClient, writeContractAsync],
  );

  const busy = state.phase === "checking" || state.phase === "wallet" || state.phase === "pending";
  return { state, run, busy, reset: () => setState({ phase: "idle" }) };
}

/** The progress line of one transaction. */
export function TransactionStatus({ state, explorerUrl }: { state: TransactionState; explorerUrl?: string }) {
  if (state.phase === "idle") return <p role="status" aria-live="polite" className="sr-only" />;
  const link =
    "hash" in state && state.hash ? (
      explorerUrl ? (
        <a href={`${explorerUrl}/tx/${state.hash}`} target="_blank" rel="noreferrer" className="break-all font-mono text-accent underline-offset-4 hover:underline">
          {state.hash}
        </a>
      ) : (
        <span className="break-all font-mono">{state.hash}</span>
      )
    ) : null;
  const text = {
    checking: `${state.step}: checking with the chain…`,
    wallet: `${state.step}: waiting for your wallet…`,
    pending: `${state.step}: pending`,
    confirmed: `${state.step}: confirmed.`,
    failed: `${state.step}: ${"message" in state ? state.message : ""}`,
  }[state.phase];
  const tone =
    state.phase === "failed"
      ? "border-red-500/40 bg-red-500/10 text-red-800 dark:text-red-200"
      : state.phase === "confirmed"
        ? "border-brand-500/40 bg-brand-500/10 text-fg"
        : "border-line bg-page text-fg-muted";
  return (
    <div role={state.phase === "failed" ? "alert" : "status"} aria-live="polite" className={`space-y-1 rounded-lg border px-3 py-2 text-sm ${tone}`} data-testid="tx-status">
      <p>{text}</p>
      {state.phase === "confirmed" && state.note && <p>{state.note}</p>}
      {link && <p className="text-xs">Transaction {link}</p>}
    </div>
  );
}
