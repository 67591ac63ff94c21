// What the viem account and the ethers signer share: ask the bridge to sign (an EVM transaction or
// EIP-712 typed data) under a fresh Idempotency-Key, wait on the event stream while the appliance holds
// the request for approvals, and turn the final answer into a signature or a typed error (a denial with
// the appliance's reasons, a timeout with the request id, a failure). JSON conversion of typed data
// (bigints as decimal strings) lives here too.
import { BridgeClient, type BridgeClientOptions, type BridgeTransaction, type BridgeTypedData, type SignAnswer } from './bridge-client.js';
import { ApplianceDenied, NotSigned } from './errors.js';

export interface ApplianceSigningOptions {
  /** A bridge client, or the options to make one (base URL, bearer token, optional stamping principal). */
  bridge: BridgeClient | BridgeClientOptions;
  /** The appliance key that signs (GET /v1/keys lists them). */
  keyId: string;
  /** How long to wait for approvals of a pending request (default 10 minutes), then ApprovalTimeout. */
  approvalTimeoutMs?: number;
  /** The Idempotency-Key of each new request (default `sdk-<uuid>`). */
  newRequestId?: (kind: 'transaction' | 'typed-data') => string;
  /** Called with the 202 answer when a request waits for approvals (to tell someone to approve it). */
  onPending?: (answer: SignAnswer) => void;
  /** The travel-rule hash to send with each transaction (docs/requesters.md), if the policy wants one. */
  travelRuleHash?: (tx: BridgeTransaction) => string | undefined;
}

export type SignedAnswer = SignAnswer & { status: 'signed' };

export class SigningFlow {
  readonly bridge: BridgeClient;
  readonly keyId: string;
  private readonly opts: ApplianceSigningOptions;

  constructor(opts: ApplianceSigningOptions) {
    this.bridge = opts.bridge instanceof BridgeClient ? opts.bridge : new BridgeClient(opts.bridge);
    this.keyId = opts.keyId;
    this.opts = opts;
  }

  /** The key's EIP-55 address (GET /v1/keys/{keyId}). */
  async address(): Promise<string> {
    return (await this.bridge.getKey(this.keyId)).address;
  }

  /** The appliance's signed answer (rawTransaction, txHash) for `tx`, after approvals if it needs them. */
  async signTransaction(tx: BridgeTransaction): Promise<SignedAnswer> {
    const requestId = this.opts.newRequestId?.('transaction') ?? BridgeClient.newRequestId('sdk-tx');
    const travelRuleHash = this.opts.travelRuleHash?.(tx);
    const answer = await this.bridge.signEvmTransaction({ keyId: this.keyId, transaction: tx, ...(travelRuleHash ? { travelRuleHash } : {}) }, requestId);
    return this.settle(answer);
  }

  /** The appliance's signed answer (signature r ‖ s ‖ v, digest) for typed data, after approvals if it needs them. */
  async signTypedData(typedData: BridgeTypedData): Promise<SignedAnswer> {
    const requestId = this.opts.newRequestId?.('typed-data') ?? BridgeClient.newRequestId('sdk-td');
    return this.settle(await this.bridge.signTypedData({ keyId: this.keyId, typedData }, requestId));
  }

  private async settle(first: SignAnswer): Promise<SignedAnswer> {
    let answer = first;
    if (answer.status === 'pending_approval') {
      this.opts.onPending?.(answer);
      const after = typeof answer.auditSeq === 'number' ? String(answer.auditSeq) : undefined;
      answer = await this.bridge.waitForDecision(answer.requestId, { timeoutMs: this.opts.approvalTimeoutMs ?? 600_000, ...(after ? { afterEventId: after } : {}) });
    }
    if (answer.status === 'signed') return answer as SignedAnswer;
    if (answer.status === 'denied') throw new ApplianceDenied(answer.requestId, answer.reasons ?? [], answer.auditSeq);
    throw new NotSigned(answer.requestId, answer.status, answer.fault);
  }
}

/** A JSON-safe copy: bigints become decimal strings, byte arrays 0x hex; everything else as is. */
export function jsonSafe(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return `0x${Buffer.from(v).toString('hex')}`;
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonSafe(x)]));
  return v;
}

/** An EIP-712 domain as JSON: a chainId that fits a JSON number stays one; absent members are left out. */
export function domainJson(domain: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(domain)) {
    if (v === undefined || v === null) continue;
    out[k] = k === 'chainId' && (typeof v === 'bigint' || typeof v === 'string') && Number.isSafeInteger(Number(v)) ? Number(v) : jsonSafe(v);
  }
  return out;
}

/** A quantity as the bridge takes it: a decimal string without leading zeros. */
export const quantity = (v: bigint | number | string): string => BigInt(v).toString();
