// The outer JSON objects on the TCP stream: RPCMessage (requests) and RpcResponse (responses).
import { MorRpcError } from "./errors";
import { goField, jsonString, isJsonObject, parseJson, readGoString } from "./json";
import {
  paramsCodec,
  resultCodec,
  rpcErrorCodec,
  type MorRpcMethod,
  type ParamsOf,
  type ResultOf,
  type RpcErrorBody,
} from "./messages";

/** A request as read off the wire; decode `params` with decodeParams once the method is known. */
export interface RpcRequest {
  id: string;
  method: string;
  params: unknown;
}

/** A response as read off the wire; `result` is null on errors. */
export interface RpcResponse {
  id: string;
  result: unknown;
  error?: RpcErrorBody;
}

/** RPCMessage: {"id","method","params"}. `params` must already be signed. */
export function encodeRequest<M extends MorRpcMethod>(method: M, id: string, params: ParamsOf<M>): string {
  return `{"id":${jsonString(id)},"method":${jsonString(method)},"params":${paramsCodec(method).encode(params)}}`;
}

/** RpcResponse with a result: {"id","result"}. `result` must already be signed. */
export function encodeResult<M extends MorRpcMethod>(method: M, id: string, result: ResultOf<M>): string {
  return `{"id":${jsonString(id)},"result":${resultCodec(method).encode(result)}}`;
}

/** RpcResponse with an error: {"id","result":null,"error"}. */
export function encodeError(id: string, error: RpcErrorBody): string {
  return `{"id":${jsonString(id)},"result":null,"error":${rpcErrorCodec.encode(error)}}`;
}

function readId(obj: Record<string, unknown>): string {
  const id = goField(obj, "id");
  // Go: a missing id stays "", a non-string id fails to unmarshal.
  return id === undefined || id === null ? "" : readGoString(id, "id");
}

/** Parses one RPCMessage (the provider reads exactly one per connection). */
export function parseRequest(text: string): RpcRequest {
  const obj = parseJson(text);
  if (!isJsonObject(obj)) throw new MorRpcError("invalid_json", "request: expected a JSON object");
  const method = goField(obj, "method");
  return {
    id: readId(obj),
    method: method === undefined || method === null ? "" : readGoString(method, "method"),
    params: goField(obj, "params"),
  };
}

/** Parses one RpcResponse object of the response stream. */
export function parseResponse(text: string): RpcResponse {
  const obj = parseJson(text);
  if (!isJsonObject(obj)) throw new MorRpcError("invalid_json", "response: expected a JSON object");
  const result = goField(obj, "result");
  const error = goField(obj, "error");
  const response: RpcResponse = { id: readId(obj), result: result === undefined ? null : result };
  if (error !== undefined && error !== null) response.error = rpcErrorCodec.decode(error);
  return response;
}

/** The typed params of a known method (Go json.Unmarshal + validation); throws MorRpcError. */
export function decodeParams<M extends MorRpcMethod>(method: M, params: unknown): ParamsOf<M> {
  return paramsCodec(method).decode(params);
}

/** The typed result of a known method; throws MorRpcError. */
export function decodeResult<M extends MorRpcMethod>(method: M, result: unknown): ResultOf<M> {
  return resultCodec(method).decode(result);
}
