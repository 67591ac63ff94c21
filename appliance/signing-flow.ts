// The one path from a decoded request to a released signature (DESIGN.md invariants 1, 2, 4):
//   evaluate with the active policy → deny/pending: store the response and its audit entry in one
//   commit → allow: commit the spend reservation first, then use the key, then commit the signed
//   response together with its audit entry, and only then return it.
import { decodeCanonical, encodeCanonical, type CborMap } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';
import { evaluate } from '../firmware-policy/evaluate.js';
import { allowanceToCbor, reasonsToCbor, type Decision } from '../firmware-policy/decision.js';
import { intentDigest, intentFromEvmTx, intentToCbor, type TransferIntent } from '../firmware-policy/intent.js';
import type { Approval } from '../firmware-policy/approvals/statement.js';
import { inputsToCbor, recordingView, type RecordedInputs } from '../firmware-policy/recorded-view.js';
import { keyGroupOf } from '../firmware-policy/policy-document.js';
import { txFromFields } from '../firmware-policy/evm/tx-from-fields.js';
import { serializeSigned, signingDigest, transactionHash, type EvmTx } from '../firmware-policy/evm/transaction.js';
import { normalizeSignature } from '../firmware-policy/evm/secp256k1-signature.js';
import { asMap } from '../protocol/args.js';
import type { Device } from './device.js';
import { requireKey } from './device.js';
import type { KeyRecord } from './state/key-registry.js';
import type { RequestRecord } from './state/request-store.js';

export interface SignContext {
  record: RequestRecord;
  tx: EvmTx;
  key: KeyRecord;
  intent: TransferIntent;
  digest: Uint8Array;
}

const keyAddressBytes = (checksummed: string) => new Uint8Array(Buffer.from(checksummed.slice(2), 'hex'));

/** Rebuilds the signing context of a stored request from its canonical arguments. */
export function contextFromRecord(dev: Device, record: RequestRecord): SignContext {
  const args = asMap(decodeCanonical(record.args), 'args');
  const tx = txFromFields(args.tx);
  const key = requireKey(dev, record.keyId ?? '');
  const intent = intentFromEvmTx(key.keyId, tx);
  return { record, tx, key, intent, digest: intentDigest(intent) };
}

/** What one evaluation saw and decided: enough for an offline replay to re-run it exactly. */
interface Evaluated {
  decision: Decision;
  /** The key's group under the policy that decided (a policy change may move a key). */
  keyGroup: string;
  decidedAt: number;
  inputs: RecordedInputs;
}

function auditFields(dev: Device, kind: string, ctx: SignContext, ev: Evaluated, approvals: readonly Approval[]): CborMap {
  const policy = dev.policies.current();
  const { decision } = ev;
  return {
    kind,
    requestId: ctx.record.requestId,
    requester: ctx.record.requester,
    keyId: ctx.key.keyId,
    keyGroup: ev.keyGroup,
    keyAddress: keyAddressBytes(ctx.key.address),
    nonceMode: decision.nonceMode ?? 'first',
    decidedAt: ev.decidedAt,
    inputs: inputsToCbor(ev.inputs),
    intentDigest: ctx.digest,
    intent: { ...intentToCbor(ctx.intent), maxFee: ctx.intent.maxFee, maxFeePerGas: ctx.intent.maxFeePerGas ?? null, maxPriorityFeePerGas: ctx.intent.maxPriorityFeePerGas ?? null, gasLimit: ctx.intent.gasLimit ?? null },
    policyVersion: policy.doc.version,
    policyHash: policy.hash,
    outcome: decision.outcome,
    reasons: reasonsToCbor(decision.reasons),
    // Every approval the evaluation was given (with signatures), and which of them counted.
    approvals: approvals.map((a) => ({ approverId: a.approverId, expiresAt: a.expiresAt, signature: a.signature })),
    approvedBy: decision.approvals.counted,
    rejectedApprovals: decision.approvals.rejected.map((r) => ({ approverId: r.approverId, why: r.why })),
    reserve: decision.reserve ? { keyId: decision.reserve.keyId, asset: decision.reserve.asset, amount: decision.reserve.amount } : null,
    // An allowance grant: the spender's outstanding allowance after it (present only for grants).
    ...(decision.allowance ? { allowance: allowanceToCbor(decision.allowance) } : {}),
  };
}

function pendingResponse(dev: Device, ctx: SignContext, decision: Decision, auditSeq: number): CborMap {
  return {
    status: 'pending_approval',
    requestId: ctx.record.requestId,
    keyId: ctx.key.keyId,
    intentDigest: ctx.digest,
    required: decision.approvals.required,
    approvedBy: decision.approvals.counted,
    reasons: reasonsToCbor(decision.reasons),
    // What each approver signs: this map with approverId and expiresAt filled in, canonically encoded.
    statement: { type: 'approval', deviceId: dev.config.deviceId, intentDigest: ctx.digest, approverId: null, expiresAt: null },
    auditSeq,
  };
}

/**
 * Evaluates the request with the given approvals and acts on the decision. The caller holds the
 * request's lock. `kind` names the command for the audit entry; exactly one entry is appended.
 */
export interface ActOptions {
  /** The request is new: insert its record rather than update it. */
  isNew: boolean;
  /** State change of the command itself (e.g. storing an approval), made in the decision's first commit. */
  inFirstCommit?: () => void;
}

export async function decideAndAct(dev: Device, ctx: SignContext, approvals: readonly Approval[], kind: string, opts: ActOptions): Promise<CborMap> {
  const { isNew } = opts;
  const rec = ctx.record;

  // 1. Evaluate and record the decision in one group-committed step: the evaluation sees every
  //    reservation committed or queued before it, and an allow reserves its spend durably before the
  //    key is used. Deny and pending answers are final here, with their audit entry.
  const first = await dev.commits.run((): { done: CborMap } | { ev: Evaluated } => {
    const now = dev.clock();
    const policy = dev.policies.current();
    const inputs: RecordedInputs = { whitelist: [], windows: [] };
    const keyGroup = keyGroupOf(policy.doc, ctx.key.keyId, ctx.key.group);
    const decision = evaluate(policy.doc, recordingView(dev.view, inputs), { intent: ctx.intent, keyGroup, requester: rec.requester, keyAddress: keyAddressBytes(ctx.key.address) }, approvals, now);
    const ev: Evaluated = { decision, keyGroup, decidedAt: now, inputs };
    opts.inFirstCommit?.();
    if (decision.outcome !== 'allow') {
      const entry = dev.audit.append(now, auditFields(dev, kind, ctx, ev, approvals));
      const response: CborMap =
        decision.outcome === 'deny'
          ? { status: 'denied', requestId: rec.requestId, keyId: ctx.key.keyId, intentDigest: ctx.digest, reasons: reasonsToCbor(decision.reasons), auditSeq: entry.seq }
          : pendingResponse(dev, ctx, decision, entry.seq);
      const status = decision.outcome === 'deny' ? 'denied' : 'pending';
      if (isNew) dev.requests.insert({ ...rec, status, response: encodeCanonical(response), updatedAt: now });
      else dev.requests.update(rec.requestId, status, encodeCanonical(response), now);
      return { done: response };
    }
    // A first transfer or allowance grant reserves its spend; a fee bump or a cancel reserves nothing.
    // A grant also records the spender's outstanding allowance, in the same commit.
    const reserve = decision.reserve;
    if (reserve) dev.spend.reserve(reserve.keyId, reserve.asset, reserve.amount, now, rec.requestId);
    if (decision.allowance) dev.allowances.set(decision.allowance, rec.requestId, now);
    // The nonce guard records the signature in the same transaction as the decision that read it.
    const prior = dev.nonces.get(ctx.intent.keyId, ctx.intent.chainId, ctx.intent.nonce);
    dev.nonces.record({
      keyId: ctx.intent.keyId,
      chainId: ctx.intent.chainId,
      nonce: ctx.intent.nonce,
      intentDigest: prior ? prior.intentDigest : ctx.digest,
      maxFeePerGas: ctx.intent.maxFeePerGas ?? 0n,
      maxPriorityFeePerGas: ctx.intent.maxPriorityFeePerGas ?? 0n,
      cancelled: decision.nonceMode === 'cancel',
      requestId: rec.requestId,
      now,
    });
    if (isNew) dev.requests.insert({ ...rec, status: 'reserved', response: null, updatedAt: now });
    else dev.requests.update(rec.requestId, 'reserved', null, now);
    return { ev };
  });
  if ('done' in first) return first.done;
  const { ev } = first;

  // 2. The key signs the digest the appliance computed itself from the decoded fields; the result
  //    must verify with the key (normalizeSignature) before anything is recorded or released.
  const sighash = signingDigest(ctx.tx);
  let signed: Uint8Array;
  try {
    dev.sealed.guard(); // a finding since the decision (e.g. a row read failing its MAC) stops the key here
    const raw = await dev.keystore.signDigest(ctx.key.ckaId, sighash);
    signed = serializeSigned(ctx.tx, normalizeSignature(raw, sighash, ctx.key.publicKey));
  } catch (err) {
    await dev.commits.run(() => {
      const t = dev.clock();
      const entry = dev.audit.append(t, { ...auditFields(dev, kind, ctx, ev, approvals), result: 'sign_failed' });
      const response = { status: 'failed', requestId: rec.requestId, message: 'the token did not sign; nothing was released', auditSeq: entry.seq };
      dev.requests.update(rec.requestId, 'aborted', encodeCanonical(response), t);
    });
    throw err;
  }
  const txHash = transactionHash(signed);

  // 3. The audit entry and the response commit together; only then does the signature leave.
  return dev.commits.run(() => {
    const t = dev.clock();
    const entry = dev.audit.append(t, { ...auditFields(dev, kind, ctx, ev, approvals), result: 'signed', txHash });
    const response: CborMap = {
      status: 'signed',
      requestId: rec.requestId,
      keyId: ctx.key.keyId,
      from: ctx.key.address,
      intentDigest: ctx.digest,
      rawTransaction: signed,
      txHash,
      approvedBy: ev.decision.approvals.counted,
      auditSeq: entry.seq,
      auditEntry: entry.entry,
    };
    dev.requests.update(rec.requestId, 'signed', encodeCanonical(response), t);
    return response;
  });
}
