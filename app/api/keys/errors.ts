import { ApiKeyError } from "@/lib/auth/api-keys";
import { WebAuthError } from "@/lib/auth/web-auth-error";

/** lib/auth's key errors as the web routes' errors (their messages are written for the user). */
export function apiKeyWebError(error: unknown): unknown {
  if (!(error instanceof ApiKeyError)) return error;
  if (error.code === "limit_reached") return new WebAuthError("limit_reached", error.message);
  if (error.code === "not_found") return new WebAuthError("not_found", "No such API key.");
  return new WebAuthError("invalid_request", error.message);
}
