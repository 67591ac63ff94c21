// The one path from a decoded request to a released signature (DESIGN.md invariants 1, 2, 4):
//   evaluate with the active policy → deny/pending: store the response and its audit entry in one
//   commit → allow: commit the spend reservation first, then use the key, then commit the signed
//   response together with its audit entry, and only then return it.
// What is signed is an EVM transaction (its decoded intent) or EIP-712 typed data (typed-signing.ts);
// both take this path, and each audit entry records what the decision saw (policy version and hash
// captured with the decision, inputs) so an offline replay re-runs it exactly.
import { equalBytes } from '../protocol/bytes.js';
import { decodeCanonical, encodeCanonical, sha256Canonical, type CborMap } from '../protocol/cbor.js';
import { ApplianceError, IDEMPOTENCY_CONFLICTS } from '../protocol/errors.js';
import type { AuditFields, DecisionKind } from '../protocol/audit-kinds.js';
import { evaluate } from '../firmware-policy/evaluate.js';
import { allowanceToCbor, reasonsToCbor, rejectedToCbor, type Decision } from '../firmware-policy/decision.js';
import type { RequestAuth } from '../firmware-policy/request-stamp.js';
import { evaluateTypedData } from '../firmware-policy/rules/typed-data.js';
import type { TypedRequest } from '../firmware-policy/evm/typed-intent.js';
import { intentDigest, intentFromEvmTx, intentToCbor, type TransferIntent } from '../firmware-policy/intent.js';
import type { Approval } from '../firmware-policy/approvals/statement.js';
import { inputsToCbor, recordingView, type RecordedInputs } from '../firmware-policy/recorded-view.js';
import { keyGroupOf } from '../firmware-policy/policy-document.js';
import { txFromFields } from '../firmware-policy/evm/tx-from-fields.js';
import { serializeSigned, signingDigest, transactionHash, type EvmTx } from '../firmware-policy/evm/transaction.js';
import { SignatureRecoveryError } from '../firmware-policy/evm/secp256k1-signature.js';
import { ethereumSignature } from './signature-parity.js';
import { asMap } from '../protocol/args.js';
import type { DeniedAnswer, FailedAnswer, PendingAnswer, RequestAnswer, SignedTxAnswer, SignedTypedAnswer } from '../protocol/commands/signing-answer.js';
import type { Device } from './device.js';
import { requireKey } from './device.js';
import type { KeyRecord } from './state/key-registry.js';
import type { RequestRecord } from './state/request-store.js';
import { typedAuditFields, typedContextFromRecord, typedSignature, typedSignedResponse } from './typed-signing.js';

interface SignContextBase {
  record: RequestRecord;
  key: KeyRecord;
  /** A new request's stamp and what it covers; absent when the request is judged again for its approvals. */
  requestAuth?: RequestAuth;
  /** What approvals name: the intent digest of a transaction, the EIP-712 digest of typed data. */
  digest: Uint8Array;
}

export interface TxSignContext extends SignContextBase {
  tx: EvmTx;
  intent: TransferIntent;
  /** SHA-256 of the request's travel-rule payload, when it names one (kept in its arguments). */
  travelRuleHash?: Uint8Array;
  typed?: undefined;
}

export interface TypedSignContext extends SignContextBase {
  typed: TypedRequest;
  tx?: undefined;
  intent?: undefined;
}

export type SignContext = TxSignContext | TypedSignContext;

const keyAddressBytes = (checksummed: string) => new Uint8Array(Buffer.from(checksummed.slice(2), 'hex'));

/** Rebuilds the signing context of a stored request from its canonical arguments. */
export function contextFromRecord(dev: Device, record: RequestRecord): SignContext {
  if (record.kind === 'sign.typed-data') return typedContextFromRecord(dev, record);
  const args = asMap(decodeCanonical(record.args), 'args');
  const tx = txFromFields(args.tx);
  const key = requireKey(dev, record.keyId ?? '');
  const intent = intentFromEvmTx(key.keyId, tx);
  const travelRule = args.travelRuleHash instanceof Uint8Array ? { travelRuleHash: args.travelRuleHash } : {};
  return { record, tx, key, intent, digest: intentDigest(intent), ...travelRule };
}

/** What one evaluation saw and decided: enough for an offline replay to re-run it exactly. */
interface Evaluated {
  decision: Decision;
  /** The key's group under the policy that decided (a policy change may move a key). */
  keyGroup: string;
  decidedAt: number;
  /** The latest plausible now at the decision (approval expiry); `decidedAt` is the earliest. */
  latestNow: number;
  inputs: RecordedInputs;
  /**
   * The policy that decided, captured with the decision: a policy activated while the key signs
   * (an await) must not be recorded in its place, or replay would re-run the wrong version.
   */
  policyVersion: number;
  policyHash: Uint8Array;
  /** What the command adds to its audit entry (ActOptions.audit). */
  extra?: CborMap;
}

/** What is signed, as the audit entry names it: the decoded transaction intent, or the typed data. */
function subjectFields(ctx: SignContext): CborMap {
  if (ctx.typed) return typedAuditFields(ctx.typed);
  return {
    // The travel-rule payload's hash the request named (absent when it named none).
    ...(ctx.travelRuleHash ? { travelRuleHash: ctx.travelRuleHash } : {}),
    intent: {
      ...intentToCbor(ctx.intent),
      maxFee: ctx.intent.maxFee,
      maxFeePerGas: ctx.intent.maxFeePerGas ?? null,
      maxPriorityFeePerGas: ctx.intent.maxPriorityFeePerGas ?? null,
      gasLimit: ctx.intent.gasLimit ?? null,
    },
  };
}

function requesterProof(auth: RequestAuth, decision: Decision): 'verified' | 'named' {
  return auth.stamp !== undefined && !decision.reasons.some((r) => r.rule === 'requester') ? 'verified' : 'named';
}

function requestAuthToCbor(auth: RequestAuth): CborMap {
  return { command: auth.command, requestId: auth.requestId, argsDigest: auth.argsDigest, stamp: auth.stamp ? { expiresAt: auth.stamp.expiresAt, signature: auth.stamp.signature } : null };
}

function auditFields(kind: DecisionKind, ctx: SignContext, ev: Evaluated, approvals: readonly Approval[]): AuditFields {
  const { decision } = ev;
  return {
    kind,
    requestId: ctx.record.requestId,
    requester: ctx.record.requester,
    // How the requester is known: its stamp verified, or only named by the bridge (a new request), and
    // what the stamp covered, so an offline replay judges it again.
    ...(ctx.requestAuth ? { requesterProof: requesterProof(ctx.requestAuth, decision), requestAuth: requestAuthToCbor(ctx.requestAuth) } : {}),
    keyId: ctx.key.keyId,
    keyGroup: ev.keyGroup,
    keyAddress: keyAddressBytes(ctx.key.address),
    ...(ctx.typed ? {} : { nonceMode: decision.nonceMode ?? 'first' }),
    decidedAt: ev.decidedAt,
    latestNow: ev.latestNow,
    inputs: inputsToCbor(ev.inputs),
    intentDigest: ctx.digest,
    ...subjectFields(ctx),
    policyVersion: ev.policyVersion,
    policyHash: ev.policyHash,
    outcome: decision.outcome,
    reasons: reasonsToCbor(decision.reasons),
    // Every approval the evaluation was given (with signatures), and which of them counted.
    approvals: approvals.map((a) => ({ approverId: a.approverId, expiresAt: a.expiresAt, signature: a.signature })),
    approvedBy: decision.approvals.counted,
    rejectedApprovals: decision.approvals.rejected.map(rejectedToCbor),
    reserve: decision.reserve ? { keyId: decision.reserve.keyId, asset: decision.reserve.asset, amount: decision.reserve.amount } : null,
    // An allowance grant: the spender's outstanding allowance after it (present only for grants).
    ...(decision.allowance ? { allowance: allowanceToCbor(decision.allowance) } : {}),
    ...ev.extra,
  };
}

function pendingResponse(dev: Device, ctx: SignContext, decision: Decision, auditSeq: number): PendingAnswer {
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
  /** Fields the command adds to its audit entry (e.g. the approval a fresh one replaced). */
  audit?: CborMap;
}

export async function decideAndAct(dev: Device, ctx: TxSignContext, approvals: readonly Approval[], kind: DecisionKind, opts: ActOptions): Promise<RequestAnswer<SignedTxAnswer>>;
export async function decideAndAct(dev: Device, ctx: TypedSignContext, approvals: readonly Approval[], kind: DecisionKind, opts: ActOptions): Promise<RequestAnswer<SignedTypedAnswer>>;
export async function decideAndAct(dev: Device, ctx: SignContext, approvals: readonly Approval[], kind: DecisionKind, opts: ActOptions): Promise<RequestAnswer>;
export async function decideAndAct(dev: Device, ctx: SignContext, approvals: readonly Approval[], kind: DecisionKind, opts: ActOptions): Promise<RequestAnswer> {
  const { isNew } = opts;
  const rec = ctx.record;

  // 1. Evaluate and record the decision in one group-committed step: the evaluation sees every
  //    reservation committed or queued before it, and an allow reserves its spend durably before the
  //    key is used. Deny and pending answers are final here, with their audit entry.
  type First = { done: DeniedAnswer | PendingAnswer; decision: Decision } | { ev: Evaluated };
  const first = await dev.commits.run((): First =>
    dev.stages.time('reservation_commit', (): First => {
      const time = dev.time();
      const now = time.earliest;
      const policy = dev.policies.current();
      const inputs: RecordedInputs = { whitelist: [], windows: [] };
      const keyGroup = keyGroupOf(policy.doc, ctx.key.keyId, ctx.key.group);
      const view = recordingView(dev.view, inputs);
      const keyAddress = keyAddressBytes(ctx.key.address);
      const decision = dev.stages.time('policy', () =>
        ctx.typed
          ? evaluateTypedData(
              policy.doc,
              view,
              { ...ctx.typed, keyGroup, keyId: ctx.key.keyId, keyAddress, requester: rec.requester, ...(ctx.requestAuth ? { requestAuth: ctx.requestAuth } : {}) },
              approvals,
              time,
            )
          : evaluate(
              policy.doc,
              view,
              {
                intent: ctx.intent,
                keyGroup,
                requester: rec.requester,
                keyAddress,
                ...(ctx.requestAuth ? { requestAuth: ctx.requestAuth } : {}),
                ...(ctx.travelRuleHash ? { travelRuleHash: ctx.travelRuleHash } : {}),
              },
              approvals,
              time,
            ),
      );
      const ev: Evaluated = {
        decision,
        keyGroup,
        decidedAt: now,
        latestNow: time.latest,
        inputs,
        policyVersion: policy.doc.version,
        policyHash: policy.hash,
        ...(opts.audit ? { extra: opts.audit } : {}),
      };
      opts.inFirstCommit?.();
      if (decision.outcome !== 'allow') {
        const entry = dev.audit.append(now, auditFields(kind, ctx, ev, approvals));
        const response: DeniedAnswer | PendingAnswer =
          decision.outcome === 'deny'
            ? {
                status: 'denied',
                requestId: rec.requestId,
                keyId: ctx.key.keyId,
                intentDigest: ctx.digest,
                ...(ctx.typed ? { digest: ctx.digest } : {}),
                reasons: reasonsToCbor(decision.reasons),
                auditSeq: entry.seq,
              }
            : pendingResponse(dev, ctx, decision, entry.seq);
        const status = decision.outcome === 'deny' ? 'denied' : 'pending';
        if (isNew) dev.requests.insert({ ...rec, status, response: encodeCanonical(response), updatedAt: now });
        else dev.requests.update(rec.requestId, status, encodeCanonical(response), now);
        return { done: response, decision };
      }
      // A first transfer or allowance grant reserves its spend; a fee bump or a cancel reserves nothing.
      // A grant also records the spender's outstanding allowance, in the same commit.
      const reserve = decision.reserve;
      if (reserve) dev.spend.reserve(reserve.keyId, reserve.asset, reserve.amount, now, rec.requestId);
      if (decision.allowance) dev.allowances.set(decision.allowance, rec.requestId, now);
      // The passkey approvals that counted move their credentials' signature counters, in the same
      // commit: the next assertion of each must carry a higher one.
      if (decision.approvals.counters) dev.passkeyCounters.record(decision.approvals.counters, rec.requestId, now);
      // The nonce guard records the signature in the same transaction as the decision that read it.
      if (ctx.intent) recordNonce(dev, ctx, decision, now);
      // A Safe transaction: its (chain, Safe, nonce) is taken by this SafeTx, in the same commit.
      const guard = decision.guardRecord;
      if (guard) dev.nonces.record({ ...guard, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, cancelled: false, requestId: rec.requestId, now });
      if (isNew) dev.requests.insert({ ...rec, status: 'reserved', response: null, updatedAt: now });
      else dev.requests.update(rec.requestId, 'reserved', null, now);
      return { ev };
    }),
  );
  if ('done' in first) {
    const { outcome, reasons } = first.decision;
    const rules = reasons.map((r) => r.rule);
    if (outcome !== 'allow') dev.metrics.decided(outcome, rules); // counted once committed
    return first.done;
  }
  const { ev } = first;

  // 2. The key signs the digest the appliance computed itself from the decoded fields (a
  //    transaction's signing hash, or the EIP-712 digest); the result must verify with the key and
  //    recover to it (ethereumSignature, normalizeSignature's answer on libsecp256k1) before anything is recorded or released. A failure keeps
  //    the reservation (limits are never under-counted) and names it.
  const sighash = ctx.typed ? ctx.typed.digest : signingDigest(ctx.tx);
  let signed: Uint8Array;
  try {
    dev.sealed.guard(); // a finding since the decision (e.g. a row read failing its MAC) stops the key here
    const started = process.hrtime.bigint();
    const raw = await dev.keystore.signDigest(ctx.key.ckaId, sighash);
    const took = process.hrtime.bigint() - started;
    dev.stages.observe('hsm_sign', took);
    dev.metrics.hsmSign(Number(took) / 1000);
    const sig = dev.stages.time('y_parity', () => ethereumSignature(raw, sighash, ctx.key.publicKey));
    signed = ctx.typed ? typedSignature(sig) : dev.stages.time('encode', () => serializeSigned(ctx.tx, sig));
  } catch (err) {
    await dev.commits.run(() => {
      const t = dev.clock();
      const fault = err instanceof SignatureRecoveryError ? err.fault : 'not_signed';
      const entry = dev.audit.append(t, { ...auditFields(kind, ctx, ev, approvals), result: 'sign_failed', fault, reservationsKept: dev.spend.reservationsOf(rec.requestId) });
      const response: FailedAnswer = { status: 'failed', requestId: rec.requestId, message: 'signing failed (fault in the audit entry); nothing was released', fault, auditSeq: entry.seq };
      dev.requests.update(rec.requestId, 'aborted', encodeCanonical(response), t);
    });
    dev.metrics.signFailed();
    throw err;
  }
  if (ctx.typed) {
    const typed = ctx.typed;
    const answer = await dev.commits.run(() => {
      const t = dev.clock();
      const entry = dev.audit.append(t, { ...auditFields(kind, ctx, ev, approvals), result: 'signed', signatureHash: sha256Canonical(signed) });
      const response = typedSignedResponse(ctx, typed, signed, ev.decision.approvals.counted, entry);
      dev.requests.update(rec.requestId, 'signed', encodeCanonical(response), t);
      return response;
    });
    dev.metrics.signed(kind);
    return answer;
  }
  const txHash = transactionHash(signed);

  // 3. The audit entry and the response commit together; only then does the signature leave.
  const answer = await dev.commits.run(() =>
    dev.stages.time('response_commit', () => {
      const t = dev.clock();
      const entry = dev.audit.append(t, { ...auditFields(kind, ctx, ev, approvals), result: 'signed', txHash });
      const response: SignedTxAnswer = {
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
    }),
  );
  dev.metrics.signed(kind);
  return answer;
}

/** The nonce guard's record of a transaction signature, in the commit of the decision that read it. */
function recordNonce(dev: Device, ctx: TxSignContext, decision: Decision, now: number): void {
  const rec = ctx.record;
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
}

/**
 * A retry with an idempotency key already used (DESIGN.md invariant 4): the stored answer, or the
 * same typed refusal for every signing command (a different request under the key; a request whose
 * signature is not settled yet).
 */
export function storedAnswer<A extends RequestAnswer>(existing: RequestRecord, kind: DecisionKind, requestHash: Uint8Array): A {
  const same = existing.kind === kind && equalBytes(existing.requestHash, requestHash);
  if (!same) throw new ApplianceError('conflict', 'this idempotency key was used for a different request', { code: IDEMPOTENCY_CONFLICTS.keyReused });
  if (!existing.response) throw new ApplianceError('conflict', 'request is being signed', { code: IDEMPOTENCY_CONFLICTS.inProgress });
  // Stored by this flow for a request of this kind (the record is sealed, its MAC checked on read).
  return storedResponse(existing.response) as A;
}

/** A request's stored answer, as this flow (or the recovery at boot) wrote it. */
export function storedResponse(encoded: Uint8Array): RequestAnswer {
  return asMap(decodeCanonical(encoded), 'response') as RequestAnswer;
}
