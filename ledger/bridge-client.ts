// The custody service's client of the bridge's HTTP API (host-bridge/openapi.ts): a base URL and a
// bearer token, JSON in and out over fetch. It holds no key and no PIN: a request that must be stamped
// comes with its stamp already made (ledger/request-stamps.ts). A refusal the bridge answers as an
// RFC 9457 problem ({ type, title, status, detail, code, details }) becomes a BridgeError with that code; a signing
// request's decision (signed 200, pending 202, denied 403 with reasons) is an answer, not an error.

export interface BridgeClientOptions {
  /** e.g. http://127.0.0.1:8787 */
  baseUrl: string;
  /** The bridge token of the principal this client acts as. */
  token: string;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** A bridge error answer, or a bridge that could not be reached (code `unavailable`, status 0). */
export class BridgeError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: string, status: number, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'BridgeError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

export interface BridgeAnswer {
  status: number;
  json: Record<string, unknown>;
}

/** A key as GET/POST /v1/keys answer it (the fields the custody side reads). */
export interface BridgeKey {
  keyId: string;
  label: string;
  group: string;
  /** EIP-55 checksummed. */
  address: string;
  auditSeq?: number;
}

/** The appliance's decision on a signing request (POST /v1/sign/evm-transaction). */
export interface SigningAnswer {
  status: 'signed' | 'pending_approval' | 'denied' | string;
  rawTransaction?: string;
  txHash?: string;
  auditSeq?: number;
  reasons?: { rule: string; code: string; message: string }[];
}

export class BridgeClient {
  readonly baseUrl: string;
  private readonly token: string;
  private readonly fetcher: typeof fetch;

  constructor(o: BridgeClientOptions) {
    this.baseUrl = o.baseUrl.replace(/\/+$/, '');
    this.token = o.token;
    this.fetcher = o.fetch ?? fetch;
  }

  /** One JSON request; answers any HTTP status with its body (a body that is not JSON is `unavailable`). */
  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<BridgeAnswer> {
    const url = `${this.baseUrl}${path}`;
    let res: Response;
    try {
      res = await this.fetcher(url, {
        method,
        headers: { Authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new BridgeError('unavailable', 0, `cannot reach the bridge at ${url}: ${err instanceof Error ? err.message : String(err)}`);
    }
    const text = await res.text();
    try {
      return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    } catch {
      throw new BridgeError('unavailable', res.status, `${url} answered HTTP ${res.status} with a body that is not JSON`);
    }
  }

  /** The answer's body when it is not an error answer (an RFC 9457 problem: type, status, detail, code, details); else its BridgeError. */
  private static unwrap(path: string, a: BridgeAnswer): Record<string, unknown> {
    const j = a.json;
    const problem = typeof j.type === 'string' && typeof j.code === 'string' && typeof j.status === 'number';
    if (problem || a.status >= 400) {
      const code = problem ? (j.code as string) : 'unexpected';
      const message = problem && typeof j.detail === 'string' ? j.detail : `HTTP ${a.status}`;
      const details = problem && typeof j.details === 'object' && j.details !== null ? (j.details as Record<string, unknown>) : undefined;
      throw new BridgeError(code, a.status, `${path}: ${message}`, details);
    }
    return a.json;
  }

  /** The device id the bridge's appliance reports (GET /healthz). */
  async deviceId(): Promise<string> {
    const json = BridgeClient.unwrap('/healthz', await this.request('GET', '/healthz'));
    if (typeof json.deviceId !== 'string') throw new BridgeError('unexpected', 200, '/healthz answered without a device id');
    return json.deviceId;
  }

  /** POST /v1/keys (an admin token): a key generated inside the token, in `group`. */
  async generateKey(body: { label: string; group: string; requestId?: string; stamp?: { expiresAt: number; signature: string } }): Promise<BridgeKey> {
    return asKey(BridgeClient.unwrap('/v1/keys', await this.request('POST', '/v1/keys', body)));
  }

  /** GET /v1/keys/{keyId}. */
  async getKey(keyId: string): Promise<BridgeKey> {
    const path = `/v1/keys/${encodeURIComponent(keyId)}`;
    return asKey(BridgeClient.unwrap(path, await this.request('GET', path)));
  }

  /** GET /v1/hd-wallets/{walletId}/accounts/{account}/xpub (an admin's or an auditor's token): the xpub of m/44'/60'/account'. */
  async hdAccountXpub(walletId: string, account: number): Promise<string> {
    const path = `/v1/hd-wallets/${encodeURIComponent(walletId)}/accounts/${account}/xpub`;
    const json = BridgeClient.unwrap(path, await this.request('GET', path));
    if (typeof json.xpub !== 'string') throw new BridgeError('unexpected', 200, `${path} answered without an xpub`);
    return json.xpub;
  }

  /**
   * POST /v1/hd-wallets/{walletId}/keys (an admin's token): the key at m/44'/60'/account'/0/index
   * derived into the token in `group`. A path derived before is a BridgeError `conflict` whose details
   * name its `keyId`.
   */
  async hdDeriveKey(
    walletId: string,
    body: { account: number; index: number; group: string; label: string; requestId?: string; stamp?: { expiresAt: number; signature: string } },
  ): Promise<BridgeKey & { path: string }> {
    const route = `/v1/hd-wallets/${encodeURIComponent(walletId)}/keys`;
    const json = BridgeClient.unwrap(route, await this.request('POST', route, body));
    if (typeof json.path !== 'string') throw new BridgeError('unexpected', 200, `${route} answered a key without its path`);
    return { ...asKey(json), path: json.path };
  }

  /**
   * POST /v1/sign/evm-transaction (a requester's token) under `idempotencyKey`: the same key gives the
   * same answer again. A decision (signed, pending, denied) is returned; an error answer is thrown.
   */
  async signEvmTransaction(body: Record<string, unknown>, idempotencyKey: string): Promise<SigningAnswer> {
    const path = '/v1/sign/evm-transaction';
    const a = await this.request('POST', path, body, { 'Idempotency-Key': idempotencyKey });
    if (typeof a.json.status === 'string' && [200, 202, 403].includes(a.status)) return a.json as unknown as SigningAnswer;
    BridgeClient.unwrap(path, a);
    throw new BridgeError('unexpected', a.status, `${path} answered HTTP ${a.status} without a decision`);
  }
}

function asKey(json: Record<string, unknown>): BridgeKey {
  const { keyId, label, group, address, auditSeq } = json;
  if (typeof keyId !== 'string' || typeof group !== 'string' || typeof address !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(address)) {
    throw new BridgeError('unexpected', 200, 'the bridge answered a key without keyId, group or address');
  }
  return { keyId, label: typeof label === 'string' ? label : '', group, address, ...(typeof auditSeq === 'number' ? { auditSeq } : {}) };
}
