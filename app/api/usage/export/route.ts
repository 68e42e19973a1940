import { withWebSession } from "@/lib/auth/web-session";
import { WebAuthError } from "@/lib/auth/web-auth-error";
import { countUsageRows, isUserKey, maxCsvRows, parseUsageQuery, usageCsvStream, usageWindow } from "@/lib/usage";

// GET /api/usage/export?range=…&from=…&to=…&model=…&key=… — the usage page's requests as CSV, with the page's filters.
export const GET = withWebSession(async ({ request, user, db }) => {
  const parsed = parseUsageQuery(new URL(request.url).searchParams);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new WebAuthError("invalid_request", `${issue?.path.join(".") || "query"}: ${issue?.message ?? "invalid"}`);
  }
  const window = usageWindow(parsed.data);
  if (window.keyId && !(await isUserKey(db, user.id, window.keyId))) throw new WebAuthError("not_found", "No such API key.");
  const total = await countUsageRows(db, user.id, window);
  const day = new Date().toISOString().slice(0, 10);
  return new Response(usageCsvStream(db, user.id, window), {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="morpheus-usage-${day}.csv"`,
      "cache-control": "no-store",
      "x-usage-rows": String(Math.min(total, maxCsvRows)),
      ...(total > maxCsvRows ? { "x-usage-truncated": `the newest ${maxCsvRows} of ${total} rows` } : {}),
    },
  });
});
