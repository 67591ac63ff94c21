// A small typed client of the bridge's signing routes (host-bridge/openapi.ts): sign an EVM
// transaction or EIP-712 typed data under an Idempotency-Key, read a request, list keys, follow the
// event stream, and wait for a pending request's decision on that stream. A bearer token says who
// asks; when the principal signs its requests (docs/requesters.md), the client stamps each body with
// the principal's request key through a Stamper it is given (the key stays wherever the caller keeps
// it), over the statement the bridge's own conversion yields (host-bridge/request-stamp-client.ts).
// The client holds no appliance key and decides nothing: a signed, pending or denied answer is
// returned as the appliance gave it; an error answer (an RFC 9457 problem) becomes a BridgeRequestError.
// CLIENT_ROUTES lists every route and request member the client sends; a test holds it to the OpenAPI
// description.
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { BridgeEvent, BridgeEventType } from '../host-bridge/events.js';
import { requestStatement, type StampedCommand } from '../host-bridge/request-stamp-client.js';
import { ApprovalTimeout, BridgeRequestError, type ApplianceReason } from './errors.js';

/** Every route the client calls, with the headers and body members it may send (test/sdk/bridge-client-openapi.test.ts). */
export const CLIENT_ROUTES = {
  signEvmTransaction: { method: 'post', path: '/v1/sign/evm-transaction', headers: ['Idempotency-Key'], body: ['keyId', 'transaction', 'travelRuleHash', 'stamp'], query: [] },
  signTypedData: { method: 'post', path: '/v1/sign/typed-data', headers: ['Idempotency-Key'], body: ['keyId', 'typedData', 'stamp'], query: [] },
  getRequest: { method: 'get', path: '/v1/requests/{id}', headers: [], body: [], query: [] },
  events: { method: 'get', path: '/v1/events', headers: ['Last-Event-ID'], body: [], query: [] },
  listKeys: { method: 'get', path: '/v1/keys', headers: [], body: [], query: ['limit', 'offset'] },
  getKey: { method: 'get', path: '/v1/keys/{keyId}', headers: [], body: [], query: [] },
  health: { method: 'get', path: '/healthz', headers: [], body: [], query: [] },
} as const;

/** Signs a request statement with the principal's request key: ES256 (DER) or Ed25519 signature bytes. */
export type Stamper = (statement: Uint8Array) => Promise<Uint8Array> | Uint8Array;

/** Who the bridge token speaks for, and its request key when the policy wants stamped requests. */
export interface StampingPrincipal {
  /** The policy principal id the bearer token is bound to. */
  id: string;
  /** Absent: requests go unstamped (a group with requireSignedRequests denies them: request_unsigned). */
  stamp?: Stamper;
}

export interface BridgeClientOptions {
  /** e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  /** The bearer token (scope orchestrator for the signing routes). */
  token: string;
  /** Stamp each signing request with this principal's request key. */
  principal?: StampingPrincipal;
  /** A stamp's lifetime from this machine's clock (default 300 s; the device judges it on its own time). */
  stampTtlSeconds?: number;
  /** The device id stamps name; read once from GET /healthz when absent. */
  deviceId?: string;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** The `transaction` member of POST /v1/sign/evm-transaction (components.schemas.Transaction): quantities as decimal strings. */
export interface BridgeTransaction {
  type: 'legacy' | 'eip2930' | 'eip1559';
  chainId: number | string;
  nonce: number | string;
  gasLimit: number | string;
  to: string | null;
  value: string;
  data?: string;
  gasPrice?: string;
  maxFeePerGas?: string;
  maxPriorityFeePerGas?: string;
  accessList?: { address: string; storageKeys: string[] }[];
}

/** EIP-712 typed data as JSON: large integers as decimal strings. */
export interface BridgeTypedData {
  types: Record<string, { name: string; type: string }[]>;
  primaryType: string;
  domain: Record<string, unknown>;
  message: Record<string, unknown>;
}

export interface RequestStamp {
  expiresAt: number;
  signature: string;
}

export interface SignEvmTransactionBody {
  keyId: string;
  transaction: BridgeTransaction;
  travelRuleHash?: string;
  stamp?: RequestStamp;
}

export interface SignTypedDataBody {
  keyId: string;
  typedData: BridgeTypedData;
  stamp?: RequestStamp;
}

/** The appliance's answer to a signing request (components.schemas.SignResult), as JSON. */
export interface SignAnswer {
  /** `signing` only from GET /v1/requests/{id}: the quorum is met and the key is signing; read again. */
  status: 'signed' | 'pending_approval' | 'signing' | 'denied' | 'aborted' | 'failed';
  requestId: string;
  keyId?: string;
  from?: string;
  intentDigest?: string;
  /** status signed, EVM transaction: ready for eth_sendRawTransaction. */
  rawTransaction?: string;
  txHash?: string;
  /** status signed, typed data: r ‖ s ‖ v (v = 27 + yParity), and the EIP-712 digest. */
  signature?: string;
  digest?: string;
  yParity?: number;
  required?: number;
  approvedBy?: string[];
  reasons?: ApplianceReason[];
  auditSeq?: number;
  fault?: string;
}

/** A key as GET /v1/keys lists it (the members a signer needs). */
export interface BridgeKey {
  keyId: string;
  label: string;
  group: string;
  /** EIP-55 checksummed. */
  address: string;
}

export interface KeyPage {
  keys: BridgeKey[];
  nextOffset: number | null;
}

/** One event of GET /v1/events (host-bridge/events.ts BridgeEvent). */
export type { BridgeEvent, BridgeEventType };

export interface WaitOptions {
  /** How long to wait for the decision (default 10 minutes); past it, ApprovalTimeout with the request id. */
  timeoutMs?: number;
  /** Resume the stream after this event id (the pending answer's auditSeq: nothing decided after it is missed). */
  afterEventId?: string;
  signal?: AbortSignal;
}

/** A stream the bridge ended is reopened after this pause (the bridge's own `retry:` hint is 5 s). */
const RECONNECT_MS = 1000;
/** A request being signed (quorum met, the key at work) is read again after this pause. */
const SIGNING_RECHECK_MS = 100;
const DECIDED: ReadonlySet<string> = new Set(['sign.signed', 'sign.denied']);

export class BridgeClient {
  readonly baseUrl: string;
  private readonly token: string;
  private readonly fetcher: typeof fetch;
  private readonly principal: StampingPrincipal | undefined;
  private readonly stampTtl: number;
  private deviceIdValue: string | undefined;

  constructor(o: BridgeClientOptions) {
    this.baseUrl = o.baseUrl.replace(/\/+$/, '');
    this.token = o.token;
    this.fetcher = o.fetch ?? fetch;
    this.principal = o.principal;
    this.stampTtl = o.stampTtlSeconds ?? 300;
    this.deviceIdValue = o.deviceId;
  }

  /** A fresh Idempotency-Key (a request id the appliance has not seen). */
  static newRequestId(prefix = 'sdk'): string {
    return `${prefix}-${randomUUID()}`;
  }

  /** POST /v1/sign/evm-transaction under `idempotencyKey` (the same key answers the same decision again). */
  async signEvmTransaction(body: SignEvmTransactionBody, idempotencyKey: string, signal?: AbortSignal): Promise<SignAnswer> {
    return this.sign('signEvmTransaction', 'sign.evm-tx', body as unknown as Record<string, unknown>, idempotencyKey, signal);
  }

  /** POST /v1/sign/typed-data under `idempotencyKey`. */
  async signTypedData(body: SignTypedDataBody, idempotencyKey: string, signal?: AbortSignal): Promise<SignAnswer> {
    return this.sign('signTypedData', 'sign.typed-data', body as unknown as Record<string, unknown>, idempotencyKey, signal);
  }

  /** GET /v1/requests/{id}: the request's current answer (signed, pending, denied…). */
  async getRequest(requestId: string, signal?: AbortSignal): Promise<SignAnswer> {
    const path = CLIENT_ROUTES.getRequest.path.replace('{id}', encodeURIComponent(requestId));
    return decision(path, await this.request('GET', path, undefined, {}, signal));
  }

  /** GET /v1/keys: one page of keys. */
  async listKeys(page: { limit?: number; offset?: number } = {}): Promise<KeyPage> {
    const q = new URLSearchParams();
    if (page.limit !== undefined) q.set('limit', String(page.limit));
    if (page.offset !== undefined) q.set('offset', String(page.offset));
    const path = `${CLIENT_ROUTES.listKeys.path}${q.size ? `?${q}` : ''}`;
    const json = unwrap(path, await this.request('GET', path));
    const keys = Array.isArray(json.keys) ? (json.keys as Record<string, unknown>[]).map((k) => asKey(path, k)) : [];
    return { keys, nextOffset: typeof json.nextOffset === 'number' ? json.nextOffset : null };
  }

  /** GET /v1/keys/{keyId}. */
  async getKey(keyId: string): Promise<BridgeKey> {
    const path = CLIENT_ROUTES.getKey.path.replace('{keyId}', encodeURIComponent(keyId));
    return asKey(path, unwrap(path, await this.request('GET', path)));
  }

  /** The device id the bridge's appliance reports (GET /healthz), remembered after the first read. */
  async deviceId(): Promise<string> {
    if (this.deviceIdValue) return this.deviceIdValue;
    const json = unwrap('/healthz', await this.request('GET', CLIENT_ROUTES.health.path));
    if (typeof json.deviceId !== 'string') throw new BridgeRequestError('unexpected', 200, '/healthz answered without a device id');
    this.deviceIdValue = json.deviceId;
    return json.deviceId;
  }

  /**
   * GET /v1/events, opened: resolves once the bridge has answered the headers (it has subscribed this
   * stream by then), to an async iterable of events resumed after `lastEventId` when given. It ends when
   * the stream ends; when `signal` aborts, the iteration throws the abort.
   */
  async openEvents(opts: { lastEventId?: string; signal?: AbortSignal } = {}): Promise<AsyncGenerator<BridgeEvent>> {
    const path = CLIENT_ROUTES.events.path;
    const headers: Record<string, string> = { Accept: 'text/event-stream', ...(opts.lastEventId ? { 'Last-Event-ID': opts.lastEventId } : {}) };
    const res = await this.send('GET', path, undefined, headers, opts.signal);
    if (!res.ok || !res.body) {
      unwrap(path, { status: res.status, json: await jsonOf(path, res) });
      throw new BridgeRequestError('unexpected', res.status, `${path} answered without a stream`);
    }
    return parseEventStream(res.body);
  }

  /**
   * Waits on the event stream until the appliance decides `requestId` (signed, denied), then answers
   * GET /v1/requests/{id} (which carries the signature; `signing`, the key at work, is read again). The request's state is read once the stream is
   * open, so a decision made before that is not missed; a stream that ends is reopened after the last
   * event seen. Past `timeoutMs`, ApprovalTimeout carrying the request id (it stays pending).
   */
  async waitForDecision(requestId: string, opts: WaitOptions = {}): Promise<SignAnswer> {
    const timeoutMs = opts.timeoutMs ?? 600_000;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    const stopOuter = () => ac.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', stopOuter, { once: true });
    let lastEventId = opts.afterEventId;
    /** The request's state once it is not being signed at this moment (a decision's event can precede the stored answer). */
    const settled = async (): Promise<SignAnswer> => {
      for (;;) {
        const a = await this.getRequest(requestId, ac.signal);
        if (a.status !== 'signing') return a;
        await delay(SIGNING_RECHECK_MS, undefined, { signal: ac.signal });
      }
    };
    try {
      for (;;) {
        const stream = await this.openEvents({ ...(lastEventId ? { lastEventId } : {}), signal: ac.signal });
        const now = await settled();
        if (now.status !== 'pending_approval') {
          void stream.return(undefined);
          return now;
        }
        for await (const e of stream) {
          lastEventId = e.id;
          if (!DECIDED.has(e.type) || e.data.requestId !== requestId) continue;
          const answer = await settled();
          if (answer.status !== 'pending_approval') return answer;
        }
        await delay(RECONNECT_MS, undefined, { signal: ac.signal }); // the bridge ended the stream: reconnect after the last event seen
      }
    } catch (err) {
      if (ac.signal.aborted && !opts.signal?.aborted) throw new ApprovalTimeout(requestId, timeoutMs);
      throw err;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', stopOuter);
      ac.abort();
    }
  }

  private async sign(route: 'signEvmTransaction' | 'signTypedData', command: StampedCommand, given: Record<string, unknown>, idempotencyKey: string, signal?: AbortSignal): Promise<SignAnswer> {
    const body = given.stamp === undefined && this.principal?.stamp ? { ...given, stamp: await this.stampOf(command, given, idempotencyKey) } : given;
    const path = CLIENT_ROUTES[route].path;
    return decision(path, await this.request('POST', path, body, { 'Idempotency-Key': idempotencyKey }, signal));
  }

  private async stampOf(command: StampedCommand, body: Record<string, unknown>, requestId: string): Promise<RequestStamp> {
    const who = this.principal!;
    const expiresAt = Math.floor(Date.now() / 1000) + this.stampTtl;
    const statement = requestStatement({ deviceId: await this.deviceId(), command, body, requester: who.id, requestId, expiresAt });
    const signature = await who.stamp!(statement);
    return { expiresAt, signature: `0x${Buffer.from(signature).toString('hex')}` };
  }

  private async send(method: string, path: string, body: unknown, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    try {
      return await this.fetcher(url, {
        method,
        headers: { Authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new BridgeRequestError('unavailable', 0, `cannot reach the bridge at ${url}: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
    }
  }

  private async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await this.send(method, path, body, headers, signal);
    return { status: res.status, json: await jsonOf(path, res) };
  }
}

async function jsonOf(path: string, res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    throw new BridgeRequestError('unavailable', res.status, `${path} answered HTTP ${res.status} with a body that is not JSON`);
  }
}

/** An RFC 9457 problem (the bridge's error answer: type, title, status, detail, code, details), or undefined for an answer. */
function problemOf(json: Record<string, unknown>): { code: string; detail?: string; details?: Record<string, unknown> } | undefined {
  if (typeof json.type !== 'string' || typeof json.code !== 'string' || typeof json.status !== 'number') return undefined;
  return { code: json.code, ...(typeof json.detail === 'string' ? { detail: json.detail } : {}), ...(isRecord(json.details) ? { details: json.details } : {}) };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The answer's body when it is not an error answer; else its BridgeRequestError. */
function unwrap(path: string, a: { status: number; json: Record<string, unknown> }): Record<string, unknown> {
  const p = problemOf(a.json);
  if (p !== undefined || a.status >= 400) {
    const message = p?.detail ?? `HTTP ${a.status}`;
    throw new BridgeRequestError(p?.code ?? 'unexpected', a.status, `${path}: ${message}`, p?.details);
  }
  return a.json;
}

const STATUSES: ReadonlySet<string> = new Set(['signed', 'pending_approval', 'signing', 'denied', 'aborted', 'failed']);

/** A signing decision (200 signed, 202 pending, 403 denied, or a stored failed/aborted answer); any error answer is thrown. */
function decision(path: string, a: { status: number; json: Record<string, unknown> }): SignAnswer {
  if (typeof a.json.status === 'string' && STATUSES.has(a.json.status) && typeof a.json.requestId === 'string') return a.json as unknown as SignAnswer;
  unwrap(path, a);
  throw new BridgeRequestError('unexpected', a.status, `${path} answered HTTP ${a.status} without a decision`);
}

function asKey(path: string, k: Record<string, unknown>): BridgeKey {
  const { keyId, label, group, address } = k;
  if (typeof keyId !== 'string' || typeof group !== 'string' || typeof address !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(address)) {
    throw new BridgeRequestError('unexpected', 200, `${path} answered a key without keyId, group or address`);
  }
  return { keyId, label: typeof label === 'string' ? label : '', group, address };
}

/** Parses a text/event-stream body (WHATWG HTML "Server-sent events") into the bridge's events; comments and retry lines are skipped. */
export async function* parseEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<BridgeEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.search(/\r?\n\r?\n/); end !== -1; end = buffer.search(/\r?\n\r?\n/)) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
        const data = block
          .split(/\r?\n/)
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).replace(/^ /, ''))
          .join('\n');
        if (!data) continue;
        const e = JSON.parse(data) as BridgeEvent;
        if (typeof e.id === 'string' && typeof e.type === 'string' && e.data && typeof e.data === 'object') yield e;
      }
    }
  } finally {
    void reader.cancel().catch(() => {});
  }
}
