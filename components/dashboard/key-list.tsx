import type { ApiKeySummary } from "@/lib/auth/api-keys";
import { formatCount, formatTime } from "./format";
import { RevokeKeyButton } from "./revoke-key-button";

function keyState(key: ApiKeySummary, now: number): { label: string; className: string } {
  if (key.revokedAt) return { label: "revoked", className: "bg-red-500/15 text-red-800 dark:text-red-200" };
  if (key.expiresAt && key.expiresAt.getTime() <= now) return { label: "expired", className: "bg-amber-500/15 text-amber-800 dark:text-amber-200" };
  return { label: "active", className: "bg-brand-500/15 text-accent" };
}

/** The wallet's API keys with their 30-day usage; active keys can be revoked. */
export function KeyList({ keys, usage, now }: { keys: ApiKeySummary[]; usage: Map<string, { requests: number; tokens: number }>; now: number }) {
  return (
    <ul className="space-y-3" aria-label="Your API keys">
      {keys.map((key) => {
        const state = keyState(key, now);
        const used = usage.get(key.id) ?? { requests: 0, tokens: 0 };
        return (
          <li key={key.id} className="rounded-xl border border-line bg-panel p-4 sm:p-5" data-testid="key-row" data-key-id={key.id}>
            <div className="flex flex-wrap items-start justify-between gap-3">
              <div className="min-w-0 space-y-1">
                <div className="flex flex-wrap items-center gap-2">
                  <h3 className="break-all font-semibold text-fg">{key.name}</h3>
                  <span className={`rounded-full px-2 py-0.5 text-xs font-medium ${state.className}`}>{state.label}</span>
                </div>
                <p className="font-mono text-sm text-fg-muted">{key.prefix}…</p>
              </div>
              {state.label === "active" && <RevokeKeyButton keyId={key.id} name={key.name} prefix={key.prefix} />}
            </div>
            <dl className="mt-4 grid grid-cols-2 gap-x-4 gap-y-3 text-sm sm:grid-cols-3 lg:grid-cols-6">
              <Fact label="Created">{formatTime(key.createdAt)}</Fact>
              <Fact label={key.revokedAt ? "Revoked" : "Expires"}>{key.revokedAt ? formatTime(key.revokedAt) : key.expiresAt ? formatTime(key.expiresAt) : "never"}</Fact>
              <Fact label="Last used">{formatTime(key.lastUsedAt)}</Fact>
              <Fact label="Requests (30 d)">{formatCount(used.requests)}</Fact>
              <Fact label="Tokens (30 d)">{formatCount(used.tokens)}</Fact>
              <Fact label="Limits">
                {key.rpmLimit ? `${formatCount(key.rpmLimit)} rpm` : "default rpm"} · {key.tpmLimit ? `${formatCount(key.tpmLimit)} tpm` : "default tpm"}
              </Fact>
            </dl>
            <p className="mt-3 text-sm text-fg-muted">
              Models:{" "}
              {key.allowedModels.length === 0 ? (
                "all"
              ) : (
                <span className="break-all font-mono text-fg-soft">{key.allowedModels.join(", ")}</span>
              )}
            </p>
          </li>
        );
      })}
    </ul>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs uppercase tracking-wide text-fg-subtle">{label}</dt>
      <dd className="mt-0.5 text-fg-soft">{children}</dd>
    </div>
  );
}
