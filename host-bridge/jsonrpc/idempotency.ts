// The request id (the appliance's idempotency key) of a JSON-RPC signing call, so a client's retry
// never signs twice (docs/json-rpc.md "Idempotency"):
// - a single call sent with an Idempotency-Key header is named by that header, as on the REST
//   routes: calling again with the same header, whatever the JSON-RPC id, reaches the same request
//   (its stored answer once approvers have signed it);
// - otherwise the id is "rpc-" and the SHA-256 (hex) of the canonical JSON (object keys sorted, no
//   spaces) of [principal id, method, params as sent, JSON-RPC id]. A transport that sends the same
//   request again (same id, same params) gets the same answer; a call with a new JSON-RPC id is a new
//   request. Params are taken as the client sent them, before the bridge fills anything from the node.
import { createHash } from 'node:crypto';
import type { RpcId } from './envelope.js';

/** JSON with object keys in code-unit order at every level, so equal values give one text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function derivedRequestId(principal: string, method: string, params: unknown, id: RpcId): string {
  return (
    'rpc-' +
    createHash('sha256')
      .update(canonicalJson([principal, method, params, id]), 'utf8')
      .digest('hex')
  );
}
