// MOR-RPC: the provider/consumer wire protocol of the Morpheus proxy-router, byte-compatible
// with the Go implementation (see shared/specs/mor-rpc.md).
export { MorRpcError, type MorRpcErrorCode } from "./errors";
export { parseEndpoint, ENDPOINT_FORMAT, MAX_ENDPOINT_LENGTH } from "./endpoint";
export { assertNativeSecp256k1, secp256k1Backend, createPrivateKey, publicKeyFromPrivate, type Secp256k1Backend } from "./secp";
export { goJsonString, marshalGoValue, bytesToHex, hexToBytes, type BytesLike } from "./json";
export { publicKeyToAddress } from "./signing";
export { eciesEncrypt, eciesDecrypt, eciesEncryptToHex, eciesDecryptFromHex, type EciesEncryptOptions } from "./ecies";
export {
  encodeApproval,
  decodeApproval,
  signApproval,
  recoverApprovalSigner,
  isApprovalFresh,
  APPROVAL_TTL_SECONDS,
  encodeReport,
  decodeReport,
  signReport,
  recoverReportSigner,
  type Approval,
  type SessionReport,
} from "./approval";
export {
  signParams,
  signResult,
  verifyParams,
  paramsSignerCandidates,
  verifyResult,
  verifyPong,
  paramsCodec,
  resultCodec,
  rpcErrorCodec,
  isMorRpcMethod,
  infraError,
  isUnsignedError,
  signUpstreamError,
  verifyErrorSignature,
  sealPromptResult,
  openPromptResult,
  createSessionResult,
  checkSessionResult,
  newRequestId,
  newPingNonce,
  type MessageCodec,
  type MorRpcCalls,
  type MorRpcMethod,
  type ParamsOf,
  type ResultOf,
  type Unsigned,
  type PingParams,
  type PongResult,
  type SessionRequestParams,
  type SessionResult,
  type PromptParams,
  type PromptResult,
  type ReportParams,
  type ReportResult,
  type RpcErrorBody,
} from "./messages";
export {
  encodeRequest,
  encodeResult,
  encodeError,
  parseRequest,
  parseResponse,
  decodeParams,
  decodeResult,
  type RpcRequest,
  type RpcResponse,
} from "./envelope";
export { JsonObjectStream, type JsonObjectStreamOptions } from "./stream-parser";
export {
  sendRequest,
  startMorRpcServer,
  yieldToEventLoop,
  DEFAULT_MORRPC_TIMEOUTS,
  type MorRpcTimeouts,
  type MorRpcConnection,
  type MorRpcServer,
  type MorRpcServerOptions,
} from "./transport";
export {
  pingProvider,
  requestSessionApproval,
  promptProvider,
  fetchSessionReport,
  type ConsumerKey,
  type ProviderCallOptions,
  type SessionApproval,
  type PromptReply,
} from "./client";
