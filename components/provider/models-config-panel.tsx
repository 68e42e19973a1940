"use client";

// models-config.json for the provider node, from the provider's on-chain models: which upstream
// serves each one. Built and downloaded in the browser (an upstream API key never reaches the
// portal's server), in the Go proxy-router's format, with the command that serves it.
import { useState } from "react";
import type { ProviderOverview } from "@/lib/chain/provider-overview";
import type { ApiType, ModelConfig } from "@/lib/provider/models-config";
import { modelsConfigEntryProblem, renderModelsConfig, serveCommand, type ModelsConfigDraftEntry } from "@/lib/provider/models-config-template";
import { CodeBlock } from "@/components/code-block";
import { Field, Panel, inputClass, primaryButtonClass } from "./ui";

const FILE = "models-config.json";

interface Row extends ModelsConfigDraftEntry {
  include: boolean;
  slots: string;
}

export function ModelsConfigPanel({ overview, network }: { overview: ProviderOverview; network: { name: string; local: boolean } }) {
  const models = overview.ownModels.filter((m) => !m.isDeleted);
  const bidModels = new Set(overview.bids.map((b) => b.modelId));
  const [rows, setRows] = useState<Record<string, Row>>({});
  const row = (modelId: `0x${string}`, name: string): Row =>
    rows[modelId] ?? { include: true, modelId, modelName: name, apiType: "openai", apiUrl: "http://localhost:8000/v1/chat/completions", apiKey: "", slots: "", capacityPolicy: "simple" };
  const update = (modelId: `0x${string}`, name: string, patch: Partial<Row>) => setRows((all) => ({ ...all, [modelId]: { ...row(modelId, name), ...patch } }));

  const chosen = models.map((m) => row(m.modelId, m.name)).filter((r) => r.include);
  const entries = chosen.map((r): ModelsConfigDraftEntry => ({ ...r, concurrentSlots: r.slots.trim() === "" ? undefined : Number(r.slots), apiKey: r.apiKey || undefined }));
  const problems = entries.map((e) => modelsConfigEntryProblem(e));
  const problem = problems.find(Boolean);
  const text = renderModelsConfig(entries);
  const command = `${network.local ? "" : `CHAIN=${network.name} `}${serveCommand({ file: FILE, endpoint: overview.provider && !overview.provider.isDeleted ? overview.provider.endpoint : undefined })}`;

  const download = () => {
    const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = FILE;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  return (
    <Panel
      id="models-config-title"
      title="models-config.json"
      description="Tell your provider node which upstream serves each of your models. The file is made here in your browser, in the format the Go proxy-router reads too; an API key you enter never leaves this page."
    >
      {models.length === 0 ? (
        <p className="text-sm text-fg-subtle">Register a model first: the file lists your registered models.</p>
      ) : (
        <>
          <ul className="space-y-4">
            {models.map((m) => {
              const r = row(m.modelId, m.name);
              return (
                <li key={m.modelId} className="space-y-3 rounded-lg border border-line p-3" data-testid="config-row">
                  <label className="flex items-center gap-2 text-sm text-fg">
                    <input type="checkbox" checked={r.include} onChange={(e) => update(m.modelId, m.name, { include: e.target.checked })} />
                    <span className="font-mono font-semibold">{m.name}</span>
                    {!bidModels.has(m.modelId) && <span className="text-xs text-fg-subtle">(no active bid of yours)</span>}
                  </label>
                  {r.include && (
                    <div className="grid gap-3 sm:grid-cols-2 lg:grid-cols-3">
                      <Field label="Upstream model name" hint="Sent as `model` to the upstream.">
                        <input className={inputClass} value={r.modelName} onChange={(e) => update(m.modelId, m.name, { modelName: e.target.value })} spellCheck={false} />
                      </Field>
                      <Field label="API type">
                        <select className={inputClass} value={r.apiType} onChange={(e) => update(m.modelId, m.name, { apiType: e.target.value as ApiType })}>
                          <option value="openai">openai (chat completions)</option>
                          <option value="claudeai">claudeai (Anthropic messages)</option>
                        </select>
                      </Field>
                      <Field label="API URL" hint="The exact URL requests are POSTed to.">
                        <input className={inputClass} value={r.apiUrl} onChange={(e) => update(m.modelId, m.name, { apiUrl: e.target.value })} spellCheck={false} />
                      </Field>
                      <Field label="API key (optional)">
                        <input className={inputClass} type="password" value={r.apiKey} onChange={(e) => update(m.modelId, m.name, { apiKey: e.target.value })} autoComplete="off" />
                      </Field>
                      <Field label="Concurrent slots" hint="Sessions at once; empty or 0 for unlimited.">
                        <input className={inputClass} value={r.slots} onChange={(e) => update(m.modelId, m.name, { slots: e.target.value })} inputMode="numeric" />
                      </Field>
                      <Field label="Capacity policy">
                        <select className={inputClass} value={r.capacityPolicy} onChange={(e) => update(m.modelId, m.name, { capacityPolicy: e.target.value as ModelConfig["capacityPolicy"] })}>
                          <option value="simple">simple: a slot per open session</option>
                          <option value="idle_timeout">idle_timeout: idle 15 min frees a slot</option>
                        </select>
                      </Field>
                    </div>
                  )}
                </li>
              );
            })}
          </ul>
          {problem ? (
            <p role="alert" className="text-sm text-red-700 dark:text-red-300">
              {problem}
            </p>
          ) : null}
          <button type="button" className={primaryButtonClass} onClick={download} disabled={!!problem || entries.length === 0}>
            Download {FILE}
          </button>
          <div className="space-y-2 text-sm text-fg-muted">
            <p>
              Then, in a checkout of this portal on the machine your endpoint points at, serve it with your wallet&apos;s key in the environment: set{" "}
              <code className="text-accent">PROVIDER_PRIVATE_KEY</code> (the private key of <span className="break-all font-mono">{overview.address}</span>) in the shell or in <code>.env</code>, never on
              the command line, and run:
            </p>
            <CodeBlock language="shell">{command}</CodeBlock>
          </div>
        </>
      )}
    </Panel>
  );
}
