// The gateway's errors are the shared API error type (lib/http), re-exported for the gateway's modules.
export { ApiError, type ApiErrorBody, type ApiErrorCode } from "@/lib/http";
