// The filters of the usage page and its CSV export, from the URL's search parameters: one schema,
// so the page and the export always read the same rows. Times are UTC.
import { z } from "zod";

export const usageRanges = ["24h", "7d", "30d", "custom"] as const;
export type UsageRange = (typeof usageRanges)[number];

/** Rows per page of the request table. */
export const usagePageSize = 25;
/** Pages reachable by number (OFFSET stays bounded); the CSV export covers more. */
const maxPage = 400;
/** Longest custom range, in days. */
const maxCustomDays = 366;
const dayMs = 86_400_000;

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date as YYYY-MM-DD").refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)), "is not a date");

export const usageQuerySchema = z
  .object({
    range: z.enum(usageRanges).default("7d"),
    from: day.optional(),
    to: day.optional(),
    model: z.string().trim().min(1).max(200).optional(),
    key: z.uuid("must be a key id").optional(),
    page: z.coerce.number().int().min(1).max(maxPage).default(1),
  })
  .superRefine((query, ctx) => {
    if (query.range !== "custom") return;
    if (!query.from || !query.to) {
      ctx.addIssue({ code: "custom", path: [query.from ? "to" : "from"], message: "a custom range needs both dates" });
      return;
    }
    const days = (Date.parse(`${query.to}T00:00:00Z`) - Date.parse(`${query.from}T00:00:00Z`)) / dayMs + 1;
    if (days < 1) ctx.addIssue({ code: "custom", path: ["to"], message: "must not be before the start date" });
    if (days > maxCustomDays) ctx.addIssue({ code: "custom", path: ["to"], message: `a custom range spans at most ${maxCustomDays} days` });
  });
export type UsageQuery = z.infer<typeof usageQuerySchema>;

/** A query resolved against the clock: the window [from, to) and the chart's bucket size. */
export interface UsageWindow {
  from: Date;
  to: Date;
  /** Bucket length in seconds: an hour, 6 hours or a day. */
  bucketSeconds: number;
  model?: string;
  keyId?: string;
}

/** Search parameters as Next passes them (repeated keys give arrays: the first counts); empty values are absent. */
export function parseUsageQuery(params: Record<string, string | string[] | undefined> | URLSearchParams): z.ZodSafeParseResult<UsageQuery> {
  const entries = params instanceof URLSearchParams ? [...params.keys()].map((k) => [k, params.get(k) ?? undefined] as const) : Object.entries(params);
  const flat = Object.fromEntries(entries.map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]).filter(([, v]) => v !== undefined && v !== ""));
  // Dates given make the range custom (the filter form sends the current range along with them).
  if (flat.from !== undefined || flat.to !== undefined) flat.range = "custom";
  return usageQuerySchema.safeParse(flat);
}

export function usageWindow(query: UsageQuery, now = new Date()): UsageWindow {
  let from: Date;
  let to: Date;
  if (query.range === "custom" && query.from && query.to) {
    from = new Date(`${query.from}T00:00:00Z`);
    to = new Date(Date.parse(`${query.to}T00:00:00Z`) + dayMs); // the end date is included
  } else {
    const spans: Record<Exclude<UsageRange, "custom">, number> = { "24h": dayMs, "7d": 7 * dayMs, "30d": 30 * dayMs };
    to = now;
    from = new Date(now.getTime() - spans[query.range === "custom" ? "7d" : query.range]);
  }
  const span = to.getTime() - from.getTime();
  const bucketSeconds = span <= 2 * dayMs ? 3600 : span <= 14 * dayMs ? 6 * 3600 : 86_400;
  return { from, to, bucketSeconds, model: query.model, keyId: query.key };
}

/** The query as search parameters (the page's links and the CSV link), defaults left out. */
export function usageSearchParams(query: Partial<UsageQuery>): URLSearchParams {
  const params = new URLSearchParams();
  if (query.range && query.range !== "7d") params.set("range", query.range);
  if (query.range === "custom") {
    if (query.from) params.set("from", query.from);
    if (query.to) params.set("to", query.to);
  }
  if (query.model) params.set("model", query.model);
  if (query.key) params.set("key", query.key);
  if (query.page && query.page > 1) params.set("page", String(query.page));
  return params;
}
