// Makes an answer readable without decoding epoch numbers or base units, by adding members beside the
// ones integrators rely on (never replacing them):
// - `<field>Iso`: an ISO 8601 UTC string beside every unix-seconds time field (TIME_FIELDS);
// - `amountUnits`: the amount in token units beside a base-unit `amount` of an `asset`
//   (protocol/token-units.ts: native 18 decimals, an ERC-20's from the policy, or "decimals unknown");
// - `maxFeeUnits`: a transaction's worst-case fee `maxFee` (wei) in ETH;
// - `explanation`: the sentence of firmware-policy/reason-texts.ts beside a reason's rule and code.
// The bridge adds them to every JSON answer and the audit export's JSON Lines, hsmctl to what it reads
// from the appliance's socket. Signed statements and policy documents are left exactly as they are:
// approvers sign a statement as read, and a policy document is proposed back as read.
import { isIsoSeconds, isoTime } from '../protocol/iso-time.js';
import { amountInUnits, formatUnits, NATIVE_DECIMALS, NATIVE_SYMBOL } from '../protocol/token-units.js';
import { reasonExplanation } from '../firmware-policy/reason-texts.js';
import type { Json } from './json-cbor.js';

/** The members that hold unix seconds, wherever they appear in an answer (device time, holds, locks, expiry). */
export const TIME_FIELDS = [
  'time',
  'now',
  'latest',
  'hostTime',
  'createdAt',
  'updatedAt',
  'expiresAt',
  'activeAt',
  'addedAt',
  'quorumAt',
  'activateAfter',
  'activatedAt',
  'decidedAt',
  'latestNow',
  'firstAt',
  'lastAt',
  'since',
  // EIP-3009 authorisations in a typed-data summary (a never-expiring validBefore is beyond year 9999: no ISO).
  'validAfter',
  'validBefore',
] as const;

/** Suffix of the ISO member beside a time field: `time` → `timeIso`. */
export const ISO_SUFFIX = 'Iso';
export const AMOUNT_UNITS = 'amountUnits';
export const MAX_FEE_UNITS = 'maxFeeUnits';
export const EXPLANATION = 'explanation';

/** Members left untouched with all they hold: what is signed as read, and a policy document. */
const VERBATIM = new Set(['statement', 'document']);
const TIMES = new Set<string>(TIME_FIELDS);

/** The decimals of an asset in a key group (null when the policy gives none). */
export type DecimalsOf = (asset: string, keyGroup: string | null) => number | null;

interface Scope {
  decimalsOf: DecimalsOf | undefined;
  keyGroup: string | null;
  /** Decimals given beside the intent (request.list's `decoded.decimals`). */
  decimals: number | null | undefined;
}

/** A base-unit amount as JSON carries it: a decimal string, or a number when CBOR held a small integer. */
function baseUnits(v: Json | undefined): bigint | undefined {
  if (typeof v === 'string' && /^[0-9]{1,78}$/.test(v)) return BigInt(v);
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : undefined;
}

const isRecord = (v: Json | undefined): v is { [k: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);

function readableObject(o: { [k: string]: Json }, scope: Scope): { [k: string]: Json } {
  const inner: Scope = {
    ...scope,
    keyGroup: typeof o.keyGroup === 'string' ? o.keyGroup : scope.keyGroup,
    decimals: 'decimals' in o && isRecord(o.intent) ? (typeof o.decimals === 'number' ? o.decimals : null) : scope.decimals,
  };
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(o)) {
    out[k] = VERBATIM.has(k) ? v : walk(v, inner);
    if (TIMES.has(k) && isIsoSeconds(v) && !(k + ISO_SUFFIX in o)) out[k + ISO_SUFFIX] = isoTime(v);
  }
  const amount = baseUnits(o.amount);
  if (amount !== undefined && typeof o.asset === 'string' && !(AMOUNT_UNITS in o)) {
    const decimals = inner.decimals !== undefined ? inner.decimals : (inner.decimalsOf?.(o.asset, inner.keyGroup) ?? null);
    out[AMOUNT_UNITS] = amountInUnits(amount, o.asset, decimals);
  }
  const maxFee = baseUnits(o.maxFee);
  if (maxFee !== undefined && !(MAX_FEE_UNITS in o)) out[MAX_FEE_UNITS] = `${formatUnits(maxFee, NATIVE_DECIMALS)} ${NATIVE_SYMBOL}`;
  if (typeof o.code === 'string' && typeof o.rule === 'string' && !(EXPLANATION in o)) {
    const explanation = reasonExplanation(o.code, isRecord(o.detail) ? o.detail : null);
    if (explanation !== undefined) out[EXPLANATION] = explanation;
  }
  return out;
}

function walk(v: Json, scope: Scope): Json {
  if (Array.isArray(v)) return v.map((x) => walk(x, scope));
  return isRecord(v) ? readableObject(v, scope) : v;
}

/** `json` with the readable members added (a new value; `json` is not changed). */
export function readableJson(json: Json, opts: { decimalsOf?: DecimalsOf } = {}): Json {
  return walk(json, { decimalsOf: opts.decimalsOf, keyGroup: null, decimals: undefined });
}

/**
 * The decimals a policy document (in its JSON form) gives each asset: the key group's own, else the
 * one every group that names the asset agrees on, else null.
 */
export function policyDecimals(document: Json | undefined): DecimalsOf {
  const groups = isRecord(document) && isRecord(document.groups) ? document.groups : {};
  const of = (group: Json | undefined, asset: string): number | undefined => {
    const a = isRecord(group) && isRecord(group.assets) ? group.assets[asset] : undefined;
    return isRecord(a) && typeof a.decimals === 'number' ? a.decimals : undefined;
  };
  return (asset, keyGroup) => {
    const own = keyGroup !== null && Object.hasOwn(groups, keyGroup) ? of(groups[keyGroup], asset) : undefined;
    if (own !== undefined) return own;
    const seen = new Set(
      Object.values(groups)
        .map((g) => of(g, asset))
        .filter((d): d is number => d !== undefined),
    );
    return seen.size === 1 ? [...seen][0]! : null;
  };
}
