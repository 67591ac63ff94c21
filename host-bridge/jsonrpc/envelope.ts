// The JSON-RPC 2.0 envelope over HTTP: one request object or a batch (an array) in, one response
// object, an array of them, or nothing (notifications only) out. Checks the request object's form
// (jsonrpc "2.0", a method name, params an array or object, an id a string, number or null) and
// builds the response objects; what a method does is elsewhere (methods.ts).
import { RPC_ERROR, RpcError } from './rpc-errors.js';

export type RpcId = string | number | null;

/** Requests a batch may hold: each signing request is its own appliance command, run in order. */
export const MAX_BATCH = 32;

/** A request object that passed the form check; `notification` when it had no id (it gets no answer). */
export interface RpcCall {
  id: RpcId;
  method: string;
  params: unknown[] | Record<string, unknown>;
  notification: boolean;
}

export type RpcResponse = { jsonrpc: '2.0'; id: RpcId; result: unknown } | { jsonrpc: '2.0'; id: RpcId; error: { code: number; message: string; data?: unknown } };

export const result = (id: RpcId, value: unknown): RpcResponse => ({ jsonrpc: '2.0', id, result: value });

export function errorResponse(id: RpcId, err: RpcError): RpcResponse {
  return { jsonrpc: '2.0', id, error: { code: err.code, message: err.message, ...(err.data === undefined ? {} : { data: err.data }) } };
}

const isId = (v: unknown): v is RpcId => v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));

/** One request object, or the error to answer it with (under its id when that was readable). */
export function readCall(v: unknown): RpcCall | { id: RpcId; error: RpcError } {
  const invalid = (id: RpcId, message: string) => ({ id, error: new RpcError(RPC_ERROR.invalidRequest, message) });
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return invalid(null, 'a request must be a JSON-RPC 2.0 object');
  const o = v as Record<string, unknown>;
  const hasId = Object.hasOwn(o, 'id');
  if (hasId && !isId(o.id)) return invalid(null, '"id" must be a string, a number or null');
  const id = hasId ? (o.id as RpcId) : null;
  if (o.jsonrpc !== '2.0') return invalid(id, '"jsonrpc" must be "2.0"');
  if (typeof o.method !== 'string' || o.method.length === 0 || o.method.length > 128) return invalid(id, '"method" must be a string of 1 to 128 characters');
  for (const k of Object.keys(o)) if (!['jsonrpc', 'id', 'method', 'params'].includes(k)) return invalid(id, `unknown member "${k}"`);
  const params = o.params ?? [];
  if (typeof params !== 'object' || params === null) return invalid(id, '"params" must be an array or an object');
  return { id, method: o.method, params: params as RpcCall['params'], notification: !hasId };
}

/** The body's calls: `batch` when it was an array (refused when empty or over MAX_BATCH). */
export function readBody(body: unknown): { batch: boolean; calls: (RpcCall | { id: RpcId; error: RpcError })[] } {
  if (!Array.isArray(body)) return { batch: false, calls: [readCall(body)] };
  if (body.length === 0) return { batch: false, calls: [{ id: null, error: new RpcError(RPC_ERROR.invalidRequest, 'an empty batch') }] };
  if (body.length > MAX_BATCH) return { batch: false, calls: [{ id: null, error: new RpcError(RPC_ERROR.invalidRequest, `a batch holds at most ${MAX_BATCH} requests`, { max: MAX_BATCH }) }] };
  return { batch: true, calls: body.map(readCall) };
}

/** The positional params of a method, at most `max` of them (an object is refused: these methods take a list). */
export function positional(call: RpcCall, min: number, max: number): unknown[] {
  const p = call.params;
  if (!Array.isArray(p)) throw new RpcError(RPC_ERROR.invalidParams, `${call.method} takes its params as an array`);
  if (p.length < min || p.length > max) throw new RpcError(RPC_ERROR.invalidParams, `${call.method} takes ${min === max ? min : `${min} to ${max}`} params, got ${p.length}`);
  return p;
}
