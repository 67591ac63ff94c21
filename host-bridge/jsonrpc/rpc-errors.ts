// The JSON-RPC endpoint's error codes (docs/json-rpc.md "Errors") and the one mapping from the
// appliance's typed errors to them. The standard codes (JSON-RPC 2.0 §5.1) cover the envelope; the
// server-error range (-32000 to -32099) carries the appliance's outcomes, reusing EIP-1474's meaning
// where one fits (-32003 transaction rejected, -32004 method not supported, -32005 limit exceeded).
import { ApplianceError, type ErrorCode } from '../../protocol/errors.js';
import { cborToJson } from '../json-cbor.js';
import type { CborMap } from '../../protocol/cbor.js';

export const RPC_ERROR = {
  /** The body is not JSON. */
  parseError: -32700,
  /** Not a JSON-RPC 2.0 request object (or an empty or oversized batch). */
  invalidRequest: -32600,
  /** No such method. */
  methodNotFound: -32601,
  /** Malformed params: a field the bridge or the appliance refuses as malformed, an unknown address. */
  invalidParams: -32602,
  /** A fault inside the bridge. */
  internal: -32603,
  /** A fault or refusal of the appliance with no code of its own below. */
  serverError: -32000,
  /** The appliance or the configured node cannot be reached, or no node is configured. */
  unavailable: -32002,
  /** The appliance denied the request: its policy (data.reasons), its sealed state or firmware approval. */
  denied: -32003,
  /** A method refused by design (eth_sign, personal_sign: blind messages) or not offered (older typed-data forms). */
  notSupported: -32004,
  /** A size limit: a frame, a body or a response over its cap. */
  limitExceeded: -32005,
  /** The request waits for approvals: data.requestId names it, data.poll says how to read it. */
  pendingApproval: -32010,
  /** The key failed to sign, or the appliance stopped before releasing the signature; nothing was signed. */
  signingFailed: -32011,
  /** The request id (idempotency key) names another request, or one still being signed. */
  conflict: -32012,
  /** Signed, but the node refused the raw transaction: data holds it, to be sent again. */
  broadcastFailed: -32021,
  /** No or unknown bearer token (HTTP 401). */
  unauthorized: -32030,
  /** The token lacks the orchestrator scope or its principal the requester role (HTTP 403). */
  forbidden: -32031,
} as const;

/** An error answered as a JSON-RPC error object. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

const BY_APPLIANCE_CODE: Record<ErrorCode, number> = {
  bad_request: RPC_ERROR.invalidParams,
  non_canonical: RPC_ERROR.invalidParams,
  bad_checksum: RPC_ERROR.invalidParams,
  unknown_command: RPC_ERROR.serverError,
  frame_too_large: RPC_ERROR.limitExceeded,
  body_too_large: RPC_ERROR.limitExceeded,
  response_too_large: RPC_ERROR.limitExceeded,
  unauthorized: RPC_ERROR.unauthorized,
  forbidden: RPC_ERROR.forbidden,
  not_found: RPC_ERROR.invalidParams,
  conflict: RPC_ERROR.conflict,
  denied: RPC_ERROR.denied,
  unavailable: RPC_ERROR.unavailable,
  internal: RPC_ERROR.serverError,
};

/** Any thrown value as an RpcError: an appliance error keeps its code and details in `data`; anything else is an internal error with no detail. */
export function toRpcError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  if (err instanceof ApplianceError) {
    const data: Record<string, unknown> = { code: err.code };
    if (err.details) data.details = cborToJson(err.details as CborMap);
    return new RpcError(BY_APPLIANCE_CODE[err.code], err.message, data);
  }
  return new RpcError(RPC_ERROR.internal, 'internal error');
}

/** Malformed params, naming the field. */
export const invalidParams = (message: string, field: string) => new RpcError(RPC_ERROR.invalidParams, message, { code: 'bad_request', details: { field } });
