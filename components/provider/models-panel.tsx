"use client";

// The provider's models: the ones this address owns, and registering a new one. The model id the
// contract gives it (keccak256(owner, base model id)) is shown before sending and after, copyable.
import { useState } from "react";
import { isHex, type Hex } from "viem";
import { formatMor } from "@/lib/chain/format";
import type { ProviderOverview } from "@/lib/chain/provider-overview";
import { baseModelIdFor, modelIdOf } from "@/lib/chain/writes";
import { readMorInput } from "./provider-panel";
import { CopyValue, Field, Panel, formatTimestamp, inputClass, primaryButtonClass } from "./ui";
import { TransactionStatus, useChainTransaction, type ChainContracts } from "./use-chain-transaction";

const MAX_NAME = 64;
const MAX_TAGS = 10;
const MAX_TAG = 32;
const ZERO32 = `0x${"00".repeat(32)}` as Hex;

function bytes32(text: string): Hex | null {
  const t = text.trim();
  return isHex(t) && t.length === 66 ? (t.toLowerCase() as Hex) : null;
}

export function ModelsPanel({ overview, contracts }: { overview: ProviderOverview; contracts: ChainContracts }) {
  const { settings } = overview;
  const [name, setName] = useState("");
  const [tags, setTags] = useState("");
  const [baseId, setBaseId] = useState("");
  const [cid, setCid] = useState("");
  const [stake, setStake] = useState(formatMor(settings.modelMinimumStake).replace(/ MOR$/, ""));
  const [fee, setFee] = useState("0");
  const [registered, setRegistered] = useState<Hex | null>(null);
  const tx = useChainTransaction(contracts);

  const trimmedName = name.trim();
  const baseModelId = baseId.trim() ? bytes32(baseId) : trimmedName ? baseModelIdFor(trimmedName) : null;
  const modelId = baseModelId ? modelIdOf(overview.address, baseModelId) : null;
  const existing = modelId ? overview.ownModels.find((m) => m.modelId === modelId) : undefined;

  const submit = async (event: React.FormEvent) => {
    event.preventDefault();
    const tagList = tags.split(",").map((t) => t.trim()).filter(Boolean);
    const amount = readMorInput(stake, "Stake");
    const feeAmount = readMorInput(fee, "Fee");
    const ipfs = cid.trim() ? bytes32(cid) : ZERO32;
    const id = modelId;
    const done = await tx.run({
      title: existing ? "Update the model" : "Register the model",
      functionName: "modelRegister",
      args: [overview.address, baseModelId ?? ZERO32, ipfs ?? ZERO32, "wei" in feeAmount ? feeAmount.wei : 0n, "wei" in amount ? amount.wei : 0n, trimmedName, tagList],
      spends: "wei" in amount ? amount.wei : 0n,
      check: () => {
        if (!trimmedName || trimmedName.length > MAX_NAME) return `Name the model (1 to ${MAX_NAME} characters).`;
        if (tagList.length > MAX_TAGS || tagList.some((t) => t.length > MAX_TAG)) return `At most ${MAX_TAGS} tags of up to ${MAX_TAG} characters each.`;
        if (!baseModelId) return "The base model id must be 0x followed by 64 hex characters (or leave it empty).";
        if (!ipfs) return "The IPFS CID must be a 32-byte digest, 0x followed by 64 hex characters (or leave it empty).";
        if ("problem" in amount) return amount.problem;
        if ("problem" in feeAmount) return feeAmount.problem;
        const total = (existing?.isDeleted ? 0n : (existing?.stake ?? 0n)) + amount.wei;
        if (total < settings.modelMinimumStake) return `Stake below the minimum of ${formatMor(settings.modelMinimumStake)}.`;
        return null;
      },
    });
    if (done) setRegistered(id);
  };

  return (
    <Panel
      id="models-title"
      title="Models"
      description={
        <>
          Models you registered; anyone can bid to serve any registered model. Registering stakes at least{" "}
          <strong className="text-fg" data-testid="model-min-stake">
            {formatMor(settings.modelMinimumStake)}
          </strong>
          .
        </>
      }
    >
      {overview.ownModels.length === 0 ? (
        <p className="text-sm text-fg-subtle">You have not registered a model yet.</p>
      ) : (
        <ul className="divide-y divide-line rounded-lg border border-line" aria-label="Your models">
          {overview.ownModels.map((model) => (
            <li key={model.modelId} className="space-y-1 p-3 text-sm" data-testid="own-model">
              <div className="flex flex-wrap items-baseline justify-between gap-2">
                <span className="font-mono font-semibold text-fg">{model.name}</span>
                <span className="text-xs text-fg-subtle">
                  {model.isDeleted ? "deregistered" : `stake ${formatMor(model.stake)}`} · since {formatTimestamp(model.createdAt)}
                </span>
              </div>
              {model.tags.length > 0 && <p className="text-xs text-fg-muted">{model.tags.join(", ")}</p>}
              <CopyValue value={model.modelId} label={`the model id of ${model.name}`} />
            </li>
          ))}
        </ul>
      )}

      <form onSubmit={submit} className="space-y-4 border-t border-line pt-4" aria-label="Register a model">
        <h3 className="font-medium text-fg">Register a model</h3>
        <div className="grid gap-4 sm:grid-cols-2">
          <Field label="Name" hint="What consumers ask for as `model` on the API.">
            <input className={inputClass} value={name} onChange={(e) => setName(e.target.value)} maxLength={MAX_NAME} required placeholder="llama-3.1-8b-instruct" spellCheck={false} />
          </Field>
          <Field label="Tags" hint="Comma-separated, e.g. llm, chat.">
            <input className={inputClass} value={tags} onChange={(e) => setTags(e.target.value)} maxLength={MAX_TAGS * (MAX_TAG + 2)} placeholder="llm, chat" />
          </Field>
          <Field label="Base model id (optional)" hint="0x + 64 hex; empty: derived from the name, so registering the same name again updates the same model.">
            <input className={inputClass} value={baseId} onChange={(e) => setBaseId(e.target.value)} maxLength={66} placeholder="0x…" spellCheck={false} />
          </Field>
          <Field label="IPFS CID (optional)" hint="The 32-byte digest, 0x + 64 hex.">
            <input className={inputClass} value={cid} onChange={(e) => setCid(e.target.value)} maxLength={66} placeholder="0x…" spellCheck={false} />
          </Field>
          <Field label="Stake (MOR)" hint={`Minimum ${formatMor(settings.modelMinimumStake)}; comes back when the model is deregistered.`}>
            <input className={inputClass} value={stake} onChange={(e) => setStake(e.target.value)} inputMode="decimal" required />
          </Field>
          <Field label="Fee (MOR)" hint="A royalty field the contracts store but do not charge today.">
            <input className={inputClass} value={fee} onChange={(e) => setFee(e.target.value)} inputMode="decimal" required />
          </Field>
        </div>
        {modelId && (
          <div className="space-y-1 text-sm">
            <p className="text-fg-muted">{existing ? "This updates your model with the id:" : "The model will get the id:"}</p>
            <CopyValue value={modelId} label="the new model id" />
          </div>
        )}
        <button type="submit" className={primaryButtonClass} disabled={tx.busy}>
          {existing ? "Update the model" : "Register the model"}
        </button>
        <TransactionStatus state={tx.state} explorerUrl={contracts.explorerUrl} />
        {registered && tx.state.phase === "confirmed" && (
          <div className="space-y-1 text-sm" data-testid="registered-model-id">
            <p className="text-fg-muted">Registered. Its model id:</p>
            <CopyValue value={registered} label="the registered model id" />
          </div>
        )}
      </form>
    </Panel>
  );
}
