// What our HTTP APIs share: the error type, the JSON body reader and the client address rate limits count.
export { ApiError, type ApiErrorBody, type ApiErrorCode } from "./api-error";
export { readJsonBody } from "./json-body";
export { clientAddress } from "./client-address";
