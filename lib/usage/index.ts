// Usage of the gateway as its users see it: the filters of the usage page, the SQL aggregates
// behind its charts and tables, and the CSV export. Read-only over usage_records and api_keys.
export { parseUsageQuery, usageWindow, usageSearchParams, usagePageSize, usageRanges, type UsageQuery, type UsageRange, type UsageWindow } from "./filters";
export {
  usageKeys,
  isUserKey,
  usageModels,
  usageTotals,
  usageSeries,
  usageByModel,
  usageByKey,
  keyUsageSince,
  countUsageRows,
  listUsageRows,
  usageRowBatches,
  requestsServedSince,
  type UsageKey,
  type UsageTotals,
  type UsageBucket,
  type UsageGroup,
  type UsageRow,
} from "./queries";
export { usageCsvStream, csvColumns, csvField, maxCsvRows } from "./csv";
