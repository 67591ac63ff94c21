// Offline replay: re-runs every signing decision in an audit log with the pure evaluator, the inputs
// the appliance recorded, and the policy version the entry names (whose document is itself in the
// log), and confirms each recorded decision. An edited decision, intent, policy or input shows up as
// a mismatch. A transaction entry records its decoded intent; a typed-data entry records the typed
// data itself, from which the replay recomputes the EIP-712 digest, the reading and the decision.
import type { RequestAuth } from '../firmware-policy/request-stamp.js';
import { equalBytes } from '../protocol/bytes.js';
import { decodeCanonical, type CborMap, type CborValue } from '../protocol/cbor.js';
import { evaluate } from '../firmware-policy/evaluate.js';
import { evaluateTypedData } from '../firmware-policy/rules/typed-data.js';
import { readTypedRequest } from '../firmware-policy/evm/typed-intent.js';
import type { Decision } from '../firmware-policy/decision.js';
import { allowanceToCbor, reasonsToCbor } from '../firmware-policy/decision.js';
import { intentDigest, type TransferIntent } from '../firmware-policy/intent.js';
import { parsePolicy, policyHash, type PolicyDocument } from '../firmware-policy/policy-document.js';
import { inputsFromCbor, replayView, MissingInputError } from '../firmware-policy/recorded-view.js';
import type { Approval } from '../firmware-policy/approvals/statement.js';
import type { TimeBounds } from '../firmware-policy/device-time.js';
import { encodeCanonical } from '../protocol/cbor.js';

export interface ReplayMismatch {
  seq: number;
  why: string;
}

export interface ReplayReport {
  decisions: number;
  confirmed: number;
  mismatches: ReplayMismatch[];
}

const DECISION_OUTCOMES = new Set(['allow', 'deny', 'needs_approval']);
const big = (v: CborValue | undefined): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));

function intentFrom(m: CborMap): TransferIntent {
  const opt = (k: string) => (m[k] instanceof Uint8Array ? { [k]: m[k] as Uint8Array } : {});
  return {
    ...opt('contract'),
    ...opt('tokenFrom'),
    ...opt('selector'),
    ...(m.nativeValue !== undefined ? { nativeValue: big(m.nativeValue) } : {}),
    ...(m.gasLimit !== undefined && m.gasLimit !== null ? { gasLimit: big(m.gasLimit) } : {}),
    kind: String(m.kind) as TransferIntent['kind'],
    keyId: String(m.keyId),
    chainId: big(m.chainId),
    nonce: big(m.nonce),
    asset: String(m.asset),
    to: m.to === null ? null : (m.to as Uint8Array),
    amount: big(m.amount),
    data: m.data as Uint8Array,
    maxFee: big(m.maxFee),
    ...(m.maxFeePerGas !== undefined && m.maxFeePerGas !== null ? { maxFeePerGas: big(m.maxFeePerGas) } : {}),
    ...(m.maxPriorityFeePerGas !== undefined && m.maxPriorityFeePerGas !== null ? { maxPriorityFeePerGas: big(m.maxPriorityFeePerGas) } : {}),
  };
}

function approvalsFrom(v: CborValue | undefined): Approval[] {
  return ((Array.isArray(v) ? v : []) as CborMap[]).map((a) => ({ approverId: String(a.approverId), expiresAt: Number(a.expiresAt), signature: a.signature as Uint8Array }));
}

/** Replays the decisions among `payloads` (decoded audit payloads, in log order). */
export function replayDecisions(payloads: CborMap[]): ReplayReport {
  const policies = new Map<number, { doc: PolicyDocument; hash: Uint8Array }>();
  const report: ReplayReport = { decisions: 0, confirmed: 0, mismatches: [] };
  for (const p of payloads) {
    const seq = Number(p.seq);
    if (p.document instanceof Uint8Array && typeof p.policyVersion === 'number') {
      try {
        const doc = parsePolicy(decodeCanonical(p.document));
        const hash = policyHash(doc);
        if (!(p.policyHash instanceof Uint8Array) || !equalBytes(hash, p.policyHash)) report.mismatches.push({ seq, why: 'policy document does not match its recorded hash' });
        policies.set(doc.version, { doc, hash });
      } catch {
        report.mismatches.push({ seq, why: 'policy document does not parse' });
      }
      continue;
    }
    if (typeof p.decidedAt !== 'number' || !DECISION_OUTCOMES.has(String(p.outcome))) continue;
    report.decisions++;
    const why = replayOne(p, policies);
    if (why) report.mismatches.push({ seq, why });
    else report.confirmed++;
  }
  return report;
}

/** Both bounds of now the decision saw: `decidedAt` (the device's time) and `latestNow` (entries from before it recorded one time). */
function replayTime(p: CborMap): TimeBounds {
  const earliest = Number(p.decidedAt);
  return { earliest, latest: typeof p.latestNow === 'number' ? p.latestNow : earliest };
}

function replayOne(p: CborMap, policies: Map<number, { doc: PolicyDocument; hash: Uint8Array }>): string | undefined {
  const policy = policies.get(Number(p.policyVersion));
  if (!policy) return `policy version ${String(p.policyVersion)} is not in the log`;
  if (!(p.policyHash instanceof Uint8Array) || !equalBytes(policy.hash, p.policyHash)) return 'recorded policy hash differs from the logged policy version';
  let decision: Decision;
  if (p.typedData !== undefined) {
    const typed = replayTyped(p, policy.doc);
    if (typeof typed === 'string') return typed;
    decision = typed;
  } else {
    const intent = intentFrom(p.intent as CborMap);
    if (!(p.intentDigest instanceof Uint8Array) || !equalBytes(intentDigest(intent), p.intentDigest)) return 'intent digest does not match the recorded intent';
    try {
      decision = evaluate(
        policy.doc,
        replayView(inputsFromCbor(p.inputs)),
        {
          intent,
          keyGroup: String(p.keyGroup),
          requester: String(p.requester),
          ...(p.keyAddress instanceof Uint8Array ? { keyAddress: p.keyAddress } : {}),
          ...(p.travelRuleHash instanceof Uint8Array ? { travelRuleHash: p.travelRuleHash } : {}),
          ...requestAuthFrom(p.requestAuth),
        },
        approvalsFrom(p.approvals),
        replayTime(p),
      );
    } catch (err) {
      return err instanceof MissingInputError ? `replay needed an input the entry did not record (${err.message})` : 'replay failed';
    }
  }
  if (decision.outcome !== p.outcome) return `recorded outcome ${String(p.outcome)}, replay gives ${decision.outcome}`;
  if (!equalBytes(encodeCanonical(reasonsToCbor(decision.reasons)), encodeCanonical((p.reasons ?? []) as CborValue))) return 'recorded reasons differ from the replay';
  if (!equalBytes(encodeCanonical(decision.approvals.counted), encodeCanonical((p.approvedBy ?? []) as CborValue))) return 'recorded approvers differ from the replay';
  const reserve = decision.reserve ? { keyId: decision.reserve.keyId, asset: decision.reserve.asset, amount: decision.reserve.amount } : null;
  if (!equalBytes(encodeCanonical(reserve), encodeCanonical((p.reserve ?? null) as CborValue))) return 'recorded reservation differs from the replay';
  if (!equalBytes(encodeCanonical(allowanceToCbor(decision.allowance)), encodeCanonical((p.allowance ?? null) as CborValue))) return 'recorded allowance differs from the replay';
  return undefined;
}

/** A typed-data decision re-run from the recorded typed data (or why it cannot be). */
function replayTyped(p: CborMap, doc: PolicyDocument): Decision | string {
  if (p.typedData === null || typeof p.typedData !== 'object' || Array.isArray(p.typedData) || p.typedData instanceof Uint8Array || p.typedData instanceof Map)
    return 'recorded typed data is not a map';
  if (!(p.keyAddress instanceof Uint8Array)) return 'typed-data entry has no key address';
  let typed;
  try {
    typed = readTypedRequest(p.typedData as CborMap);
  } catch {
    return 'recorded typed data does not validate';
  }
  if (!(p.intentDigest instanceof Uint8Array) || !equalBytes(typed.digest, p.intentDigest)) return 'EIP-712 digest does not match the recorded typed data';
  try {
    return evaluateTypedData(
      doc,
      replayView(inputsFromCbor(p.inputs)),
      { ...typed, keyGroup: String(p.keyGroup), keyId: String(p.keyId), keyAddress: p.keyAddress, requester: String(p.requester), ...requestAuthFrom(p.requestAuth) },
      approvalsFrom(p.approvals),
      replayTime(p),
    );
  } catch (err) {
    return err instanceof MissingInputError ? `replay needed an input the entry did not record (${err.message})` : 'replay failed';
  }
}

/** A new request's stamp as its entry recorded it (appliance/signing-flow.ts), for the requester rule. */
function requestAuthFrom(v: unknown): { requestAuth?: RequestAuth } {
  if (typeof v !== 'object' || v === null || v instanceof Uint8Array || Array.isArray(v)) return {};
  const m = v as Record<string, unknown>;
  if (typeof m.command !== 'string' || typeof m.requestId !== 'string' || !(m.argsDigest instanceof Uint8Array)) return {};
  const st = m.stamp as Record<string, unknown> | null;
  const stamp = st && typeof st.expiresAt === 'number' && st.signature instanceof Uint8Array ? { expiresAt: st.expiresAt, signature: st.signature } : undefined;
  return { requestAuth: { command: m.command, requestId: m.requestId, argsDigest: m.argsDigest, ...(stamp ? { stamp } : {}) } };
}
