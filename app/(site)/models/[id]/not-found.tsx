import Link from "next/link";

export default function ModelNotFound() {
  return (
    <div className="space-y-4 rounded-xl border border-line bg-panel p-6">
      <h1 className="text-xl font-semibold text-fg">Model not found</h1>
      <p className="text-fg-muted">
        No active model has this id. Model ids are 0x followed by 64 hex digits; the model may also have been deregistered.
      </p>
      <Link href="/models" className="inline-block text-accent hover:underline">
        Browse all models
      </Link>
    </div>
  );
}
