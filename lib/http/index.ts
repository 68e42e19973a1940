// What our OpenAI-compatible HTTP APIs share: the error type and the JSON body reader.
export { ApiError, type ApiErrorBody, type ApiErrorCode } from "./api-error";
export { readJsonBody } from "./json-body";
