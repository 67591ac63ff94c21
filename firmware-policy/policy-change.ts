// Policy changes: the field-by-field differences between two policy documents, whether they only
// tighten the rules, and a Markdown rendering for GET /v1/policy/versions/{v}/diff.
//
// DESIGN.md invariant 5: a policy change takes effect only after the admin quorum and the time lock,
// except a change that only makes the rules stricter, which may take effect at once. So
// `isStrictlyTighter(from, to)` must be sound: when it is true, `evaluate(to, …)` allows nothing that
// `evaluate(from, …)` did not allow, for every state view, intent, approval set and time, and the
// governance rules (admins, admin quorum, whitelist holds) are no weaker. Each change carries its own
// `stricter` flag, decided against the whole new document where that matters (a window or an
// approval tier is covered by the others), and the policy is stricter iff every change is. When in
// doubt a change is NOT stricter.
//
// Pure: no I/O, no clock, no randomness.
import { equalBytes } from '../protocol/bytes.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { encodeCanonical, type CborMap, type CborValue } from '../protocol/cbor.js';
import {
  changeDelaySeconds,
  groupHoldSeconds,
  maxApprovalLifetimeSeconds,
  ownEntry,
  policyHash,
  policyToCbor,
  type FeeCap,
  type ApprovalTier,
  type AssetRules,
  type GroupPolicy,
  type PolicyDocument,
  type NamedPrincipal,
  type Principal,
  type VelocityWindow,
} from './policy-document.js';
import { requiredApprovals } from './rules/approval-tier.js';

export interface PolicyChange {
  /** Where, in the style of policy validation errors: `groups.hot.assets.31337:native.perTxMax`. */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  /** Human-readable old value (amounts as decimal strings, keys as short hex); absent when added. */
  before?: string;
  /** Human-readable new value; absent when removed. */
  after?: string;
  /** True iff this change, within the new document, can only deny more. */
  stricter: boolean;
  note?: string;
}

// ---------- public API ----------

/**
 * Field-by-field differences between two documents, in a stable order (document field order; map
 * keys, principal ids, chain ids, window lengths and tier thresholds sorted), with human-readable
 * before/after values. `version` and `parentHash` are not changes.
 */
export function diffPolicies(from: PolicyDocument, to: PolicyDocument): PolicyChange[] {
  const out: PolicyChange[] = [];
  if (from.deviceId !== to.deviceId) {
    out.push(changed('deviceId', from.deviceId, to.deviceId, false, 'approval statements name the device id'));
  }
  if (from.defaultHoldSeconds !== to.defaultHoldSeconds) {
    const longer = to.defaultHoldSeconds >= from.defaultHoldSeconds;
    out.push(changed('defaultHoldSeconds', String(from.defaultHoldSeconds), String(to.defaultHoldSeconds), longer, longer ? 'longer default whitelist hold' : 'shorter default whitelist hold'));
  }
  if (from.changeDelaySeconds !== to.changeDelaySeconds) {
    const before = changeDelaySeconds(from);
    const after = changeDelaySeconds(to);
    const longer = after >= before;
    out.push(
      changed(
        'changeDelaySeconds',
        holdText(from.changeDelaySeconds ?? null, before),
        holdText(to.changeDelaySeconds ?? null, after),
        longer,
        longer ? 'longer time lock for later changes' : 'shorter time lock for later changes',
      ),
    );
  }
  if (from.maxApprovalLifetimeSeconds !== to.maxApprovalLifetimeSeconds) {
    const before = maxApprovalLifetimeSeconds(from);
    const after = maxApprovalLifetimeSeconds(to);
    const shorter = after <= before;
    out.push(
      changed(
        'maxApprovalLifetimeSeconds',
        holdText(from.maxApprovalLifetimeSeconds ?? null, before),
        holdText(to.maxApprovalLifetimeSeconds ?? null, after),
        shorter,
        after === before ? 'the same approval lifetime' : shorter ? 'approvals may run for less time' : 'approvals may run for longer',
      ),
    );
  }
  if ((from.requireSignedProposals === true) !== (to.requireSignedProposals === true)) {
    const on = to.requireSignedProposals === true;
    out.push(changed('requireSignedProposals', String(!on), String(on), on, on ? "admins' requests must now carry their stamps" : "admins' requests need no longer be stamped"));
  }
  diffFeeCaps(out, from.feeCaps ?? {}, to.feeCaps ?? {});
  diffPrincipals(out, 'admins', from.admins, to.admins, 'admin');
  if (from.adminQuorum !== to.adminQuorum) {
    const higher = to.adminQuorum >= from.adminQuorum;
    out.push(changed('adminQuorum', String(from.adminQuorum), String(to.adminQuorum), higher, higher ? 'more admins must agree' : 'fewer admins must agree'));
  }
  diffPrincipals(out, 'approvers', from.approvers, to.approvers, 'approver');
  diffNamed(out, 'requesters', from.requesters ?? [], to.requesters ?? [], 'requester');
  diffNamed(out, 'auditors', from.auditors ?? [], to.auditors ?? [], 'auditor');
  for (const name of unionKeys(from.groups, to.groups)) {
    const path = `groups.${name}`;
    const a = ownEntry(from.groups, name);
    const b = ownEntry(to.groups, name);
    if (a && !b) out.push(removed(path, groupSummary(a), true, 'the key group may no longer sign'));
    else if (!a && b) out.push(added(path, groupSummary(b), false, 'a new key group may sign'));
    else if (a && b) diffGroup(out, path, name, from, to, a, b);
  }
  diffUnclassified(out, from, to);
  return out;
}

/**
 * True iff every change only tightens (see the module comment); two documents that differ only in
 * version and parentHash are trivially "stricter".
 */
export function isStrictlyTighter(from: PolicyDocument, to: PolicyDocument): boolean {
  return diffPolicies(from, to).every((c) => c.stricter);
}

/**
 * Markdown rendering of the diff for GET /v1/policy/versions/{v}/diff; past `maxRows` table rows,
 * one line says how many more changes there are (the header always counts them all).
 */
export function renderDiff(from: PolicyDocument, to: PolicyDocument, maxRows = Number.POSITIVE_INFINITY): string {
  const changes = diffPolicies(from, to);
  const stricter = changes.every((c) => c.stricter);
  const lines = [
    `## Policy change: version ${from.version} → version ${to.version}`,
    '',
    `- From: version ${from.version}, hash ${code(bytesToHex(policyHash(from)))}`,
    `- To: version ${to.version}, hash ${code(bytesToHex(policyHash(to)))}`,
    stricter ? '- Classification: **stricter only**; it may take effect at once' : '- Classification: **not stricter**; it takes effect only after the admin quorum and the time lock',
    `- Changes: ${changes.length} (${changes.filter((c) => !c.stricter).length} not stricter)`,
    '',
  ];
  if (changes.length === 0) {
    lines.push('No changes.', '');
    return lines.join('\n');
  }
  lines.push('| Path | Change | Before | After | Stricter | Note |', '| --- | --- | --- | --- | --- | --- |');
  for (const c of changes.slice(0, maxRows)) {
    const cells = [code(c.path), c.kind, c.before === undefined ? '' : code(c.before), c.after === undefined ? '' : code(c.after), c.stricter ? 'yes' : '**no**', text(c.note ?? '')];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  if (changes.length > maxRows) lines.push('', `… and ${changes.length - maxRows} more changes, not shown.`);
  lines.push('');
  return lines.join('\n');
}

// ---------- groups and assets ----------

function diffGroup(out: PolicyChange[], path: string, name: string, from: PolicyDocument, to: PolicyDocument, a: GroupPolicy, b: GroupPolicy): void {
  const chainsA = chainSet(a.chains);
  const chainsB = chainSet(b.chains);
  const allChains = [...new Set([...chainsA.keys(), ...chainsB.keys()])].map((k) => BigInt(k)).sort(cmpBigint);
  for (const c of allChains) {
    const p = `${path}.chains[${c}]`;
    const inA = chainsA.has(c.toString());
    const inB = chainsB.has(c.toString());
    if (inA && !inB) out.push(removed(p, c.toString(), true, 'chain no longer allowed'));
    else if (!inA && inB) out.push(added(p, c.toString(), false, 'chain newly allowed'));
  }
  if (a.whitelistRequired !== b.whitelistRequired) {
    out.push(
      changed(
        `${path}.whitelistRequired`,
        String(a.whitelistRequired),
        String(b.whitelistRequired),
        b.whitelistRequired,
        b.whitelistRequired ? 'recipients must now be whitelisted' : 'recipients need no longer be whitelisted',
      ),
    );
  }
  if (a.holdSeconds !== b.holdSeconds) {
    const before = groupHoldSeconds(from, name);
    const after = groupHoldSeconds(to, name);
    const longer = after >= before;
    out.push(
      changed(
        `${path}.holdSeconds`,
        holdText(a.holdSeconds, before),
        holdText(b.holdSeconds, after),
        longer,
        longer ? 'new whitelist entries wait at least as long' : 'new whitelist entries wait less',
      ),
    );
  }
  for (const asset of unionKeys(a.assets, b.assets)) {
    const p = `${path}.assets.${asset}`;
    const ra = ownEntry(a.assets, asset);
    const rb = ownEntry(b.assets, asset);
    if (ra && !rb) out.push(removed(p, assetSummary(ra), true, 'asset no longer allowed'));
    else if (!ra && rb) out.push(added(p, assetSummary(rb), false, 'asset newly allowed'));
    else if (ra && rb) diffAsset(out, p, ra, rb);
  }
  diffSet(out, `${path}.contracts`, contractCalls(a), contractCalls(b), 'contract call');
  diffSet(out, `${path}.typedData`, typedDomains(a), typedDomains(b), 'EIP-712 domain');
  diffSet(out, `${path}.typedData.typeHashes`, typedTypeHashes(a), typedTypeHashes(b), 'EIP-712 type hash');
  diffSet(out, `${path}.safes`, safeMembers(a), safeMembers(b), 'Safe');
  diffSweepTo(out, `${path}.sweepTo`, a.sweepTo, b.sweepTo);
}

/**
 * A sweep address confines the group's keys to one recipient: setting one is stricter; removing one
 * frees the keys (a loosening), and moving it names a new recipient the quorum must wait for (not stricter).
 */
function diffSweepTo(out: PolicyChange[], path: string, a: Uint8Array | undefined, b: Uint8Array | undefined): void {
  const text = (x: Uint8Array) => `0x${bytesToHex(x)}`;
  if (a === undefined && b !== undefined) out.push(added(path, text(b), true, "the group's keys may now send only to this address"));
  else if (a !== undefined && b === undefined) out.push(removed(path, text(a), false, "the group's keys are no longer confined to one address"));
  else if (a !== undefined && b !== undefined && text(a) !== text(b)) out.push(changed(path, text(a), text(b), false, "the group's keys sweep to another address"));
}

// ---------- allowlists of contract calls and typed-data domains ----------
//
// A contract call is allowed iff some entry names its chain, contract and selector, so the list is
// a set of (chain, contract, selector); likewise typed data is a set of (chain, verifying contract),
// and the Safes a set of (chain, Safe, whether it may pay gas refunds).
// Removing a member is stricter; adding one is not.

/** Set members by label, sorted by chain id, then label. */
type Members = Map<string, bigint>;

function contractCalls(g: GroupPolicy): Members {
  const m: Members = new Map();
  for (const c of g.contracts ?? []) for (const sel of c.selectors) m.set(`${c.chainId}:0x${bytesToHex(c.address)}:0x${bytesToHex(sel)}`, c.chainId);
  return m;
}

function typedDomains(g: GroupPolicy): Members {
  const m: Members = new Map();
  for (const d of g.typedData ?? []) m.set(`${d.chainId}:0x${bytesToHex(d.verifyingContract)}`, d.chainId);
  return m;
}

/** Typed-data primary types allowed by exact type hash: a set of (chain, verifying contract, type hash). */
function typedTypeHashes(g: GroupPolicy): Members {
  const m: Members = new Map();
  for (const d of g.typedData ?? []) for (const h of d.typeHashes ?? []) m.set(`${d.chainId}:0x${bytesToHex(d.verifyingContract)}:0x${bytesToHex(h)}`, d.chainId);
  return m;
}

/** Safes the keys may co-sign for: a set of (chain, Safe, refund allowed or not); a Safe that gains gas refunds is a new member (not stricter). */
function safeMembers(g: GroupPolicy): Members {
  const m: Members = new Map();
  for (const x of g.safes ?? []) m.set(`${x.chainId}:0x${bytesToHex(x.address)}${x.allowGasRefund === true ? ' (gas refunds)' : ''}`, x.chainId);
  return m;
}

function diffSet(out: PolicyChange[], path: string, a: Members, b: Members, what: string): void {
  const labels = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => cmpBigint((a.get(x) ?? b.get(x))!, (a.get(y) ?? b.get(y))!) || cmpString(x, y));
  for (const label of labels) {
    if (a.has(label) && !b.has(label)) out.push(removed(`${path}[${label}]`, label, true, `${what} no longer allowed`));
    else if (!a.has(label) && b.has(label)) out.push(added(`${path}[${label}]`, label, false, `${what} newly allowed`));
  }
}

// ---------- fee caps ----------
//
// A chain with a cap bounds the gas limit and the worst-case fee; a chain without one is unbounded.
// So adding a cap or lowering one is stricter; removing one or raising one is not.

function diffFeeCaps(out: PolicyChange[], a: Record<string, FeeCap>, b: Record<string, FeeCap>): void {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(cmpChainKey);
  for (const chain of keys) {
    const p = `feeCaps.${chain}`;
    const x = ownEntry(a, chain);
    const y = ownEntry(b, chain);
    const text = (c: FeeCap) => `gas limit ${c.maxGasLimit}, fee ${c.maxFeeWei} wei`;
    if (x && !y) out.push(removed(p, text(x), false, 'fee cap removed: the chain has no cap'));
    else if (!x && y) out.push(added(p, text(y), true, 'new fee cap'));
    else if (x && y) {
      if (x.maxGasLimit !== y.maxGasLimit) {
        const lower = y.maxGasLimit <= x.maxGasLimit;
        out.push(changed(`${p}.maxGasLimit`, x.maxGasLimit.toString(), y.maxGasLimit.toString(), lower, lower ? 'lower gas limit cap' : 'higher gas limit cap'));
      }
      if (x.maxFeeWei !== y.maxFeeWei) {
        const lower = y.maxFeeWei <= x.maxFeeWei;
        out.push(changed(`${p}.maxFeeWei`, x.maxFeeWei.toString(), y.maxFeeWei.toString(), lower, lower ? 'lower fee cap' : 'higher fee cap'));
      }
    }
  }
}

/** Chain-id keys in numeric order (others after, in code-unit order). */
function cmpChainKey(x: string, y: string): number {
  const dx = /^[0-9]+$/.test(x);
  const dy = /^[0-9]+$/.test(y);
  if (dx && dy) return cmpBigint(BigInt(x), BigInt(y));
  return dx !== dy ? (dx ? -1 : 1) : cmpString(x, y);
}

// ---------- fields this module does not know ----------
//
// Anything in the canonical form (what the policy hash covers) that the diff above does not read is
// reported as a change that is NOT stricter, so a field added to the document later can never be
// loosened at once before this module learns what it means.

const KNOWN_TOP = [
  'requireSignedProposals',
  'version',
  'parentHash',
  'deviceId',
  'defaultHoldSeconds',
  'changeDelaySeconds',
  'maxApprovalLifetimeSeconds',
  'feeCaps',
  'admins',
  'adminQuorum',
  'approvers',
  'requesters',
  'auditors',
  'groups',
];
const KNOWN_GROUP = ['chains', 'whitelistRequired', 'holdSeconds', 'assets', 'contracts', 'typedData', 'safes', 'sweepTo'];
const KNOWN_ASSET = ['perTxMax', 'windows', 'approvalTiers', 'approvalCap', 'allowUnlimitedApproval', 'decimals', 'travelRuleAbove'];
const KNOWN_ITEMS: Record<string, readonly string[]> = {
  admins: ['id', 'alg', 'publicKey'],
  approvers: ['id', 'alg', 'publicKey', 'credentialId', 'rpId', 'origins'],
  requesters: ['id'],
  auditors: ['id'],
  windows: ['seconds', 'maxAmount', 'maxCount'],
  approvalTiers: ['above', 'required'],
  contracts: ['chainId', 'address', 'selectors'],
  typedData: ['chainId', 'verifyingContract', 'typeHashes'],
  safes: ['chainId', 'address', 'allowGasRefund'],
};
const KNOWN_FEE_CAP = ['maxGasLimit', 'maxFeeWei'];

function diffUnclassified(out: PolicyChange[], from: PolicyDocument, to: PolicyDocument): void {
  const a = policyToCbor(from);
  const b = policyToCbor(to);
  unknownKeys(out, '', a, b, KNOWN_TOP);
  const feeA = asMap(a.feeCaps);
  const feeB = asMap(b.feeCaps);
  for (const chain of commonKeys(feeA, feeB)) unknownKeys(out, `feeCaps.${chain}.`, asMap(feeA[chain]), asMap(feeB[chain]), KNOWN_FEE_CAP);
  const groupsA = asMap(a.groups);
  const groupsB = asMap(b.groups);
  for (const name of commonKeys(groupsA, groupsB)) {
    const ga = asMap(groupsA[name]);
    const gb = asMap(groupsB[name]);
    unknownKeys(out, `groups.${name}.`, ga, gb, KNOWN_GROUP);
    const assetsA = asMap(ga.assets);
    const assetsB = asMap(gb.assets);
    for (const asset of commonKeys(assetsA, assetsB)) unknownKeys(out, `groups.${name}.assets.${asset}.`, asMap(assetsA[asset]), asMap(assetsB[asset]), KNOWN_ASSET);
  }
}

/** Unknown keys of one level, plus list items carrying unknown keys, that differ between the two sides. */
function unknownKeys(out: PolicyChange[], prefix: string, a: CborMap, b: CborMap, known: readonly string[]): void {
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(cmpString)) {
    const itemKeys = KNOWN_ITEMS[key];
    const unknown = !known.includes(key) || (itemKeys !== undefined && [a[key], b[key]].some((v) => hasUnknownItemKeys(v, itemKeys)));
    if (!unknown || sameCbor(a[key], b[key])) continue;
    const path = `${prefix}${key}`;
    const note = 'not classified by this version of the diff: treated as not stricter';
    if (!Object.hasOwn(b, key)) out.push(removed(path, 'set', false, note));
    else if (!Object.hasOwn(a, key)) out.push(added(path, 'set', false, note));
    else out.push(changed(path, 'old value', 'new value', false, note));
  }
}

function hasUnknownItemKeys(v: CborValue | undefined, itemKeys: readonly string[]): boolean {
  return Array.isArray(v) && v.some((item) => Object.keys(asMap(item)).some((k) => !itemKeys.includes(k)));
}

function asMap(v: CborValue | undefined): CborMap {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Map) ? (v as CborMap) : {};
}

function commonKeys(a: CborMap, b: CborMap): string[] {
  return Object.keys(a)
    .filter((k) => Object.hasOwn(b, k))
    .sort(cmpString);
}

function sameCbor(x: CborValue | undefined, y: CborValue | undefined): boolean {
  if (x === undefined || y === undefined) return x === y;
  const ex = encodeCanonical(x);
  const ey = encodeCanonical(y);
  return ex.length === ey.length && ex.every((v, i) => v === ey[i]);
}

function diffAsset(out: PolicyChange[], path: string, a: AssetRules, b: AssetRules): void {
  if (a.perTxMax !== b.perTxMax) {
    const lower = b.perTxMax <= a.perTxMax;
    out.push(changed(`${path}.perTxMax`, a.perTxMax.toString(), b.perTxMax.toString(), lower, lower ? 'lower per-transaction limit' : 'higher per-transaction limit'));
  }
  diffWindows(out, `${path}.windows`, a.windows, b.windows);
  diffTiers(out, `${path}.approvalTiers`, a, b);
  // An allowance may reach the approval cap, which defaults to perTxMax; an unlimited one needs the flag.
  if (a.approvalCap !== b.approvalCap) {
    const before = a.approvalCap ?? a.perTxMax;
    const after = b.approvalCap ?? b.perTxMax;
    const lower = after <= before;
    const show = (raw: bigint | undefined, eff: bigint) => (raw === undefined ? `default (perTxMax ${eff})` : raw.toString());
    out.push(changed(`${path}.approvalCap`, show(a.approvalCap, before), show(b.approvalCap, after), lower, lower ? 'lower allowance cap' : 'higher allowance cap'));
  }
  if (a.allowUnlimitedApproval !== b.allowUnlimitedApproval) {
    const before = a.allowUnlimitedApproval === true;
    const after = b.allowUnlimitedApproval === true;
    const show = (raw: boolean | undefined) => (raw === undefined ? 'not set (false)' : String(raw));
    out.push(
      changed(
        `${path}.allowUnlimitedApproval`,
        show(a.allowUnlimitedApproval),
        show(b.allowUnlimitedApproval),
        !after || before,
        after && !before ? 'unlimited allowances now allowed' : 'unlimited allowances not allowed',
      ),
    );
  }
  // The travel-rule amount: absent means no transfer needs a hash, so adding or lowering it only denies more.
  if (a.travelRuleAbove !== b.travelRuleAbove) {
    const stricter = b.travelRuleAbove !== undefined && (a.travelRuleAbove === undefined || b.travelRuleAbove <= a.travelRuleAbove);
    const show = (t: bigint | undefined) => (t === undefined ? 'not set (never required)' : t.toString());
    out.push(
      changed(
        `${path}.travelRuleAbove`,
        show(a.travelRuleAbove),
        show(b.travelRuleAbove),
        stricter,
        stricter ? 'travel-rule hash required for more transfers' : 'travel-rule hash required for fewer transfers',
      ),
    );
  }
  if (a.decimals !== b.decimals) {
    const show = (d: number | undefined) => (d === undefined ? 'not set' : String(d));
    out.push(changed(`${path}.decimals`, show(a.decimals), show(b.decimals), false, 'limits are in base units, but people read them with these decimals'));
  }
}

// ---------- rolling windows ----------
//
// A window denies when usage(now - seconds) + amount > maxAmount, or usage count + 1 > maxCount.
// Usage only grows as the window lengthens, so an old window's amount limit still holds under the
// new document iff some new window is at least as long with a maxAmount no higher (likewise for
// the count). Removing or changing an old window is stricter iff that still holds; adding a window
// is always stricter. Windows are matched by their length, so a new length shows as a removal and
// an addition.

function amountCovered(w: VelocityWindow, windows: readonly VelocityWindow[]): boolean {
  return windows.some((x) => x.seconds >= w.seconds && x.maxAmount <= w.maxAmount);
}

function countCovered(w: VelocityWindow, windows: readonly VelocityWindow[]): boolean {
  return windows.some((x) => x.seconds >= w.seconds && x.maxCount <= w.maxCount);
}

function diffWindows(out: PolicyChange[], path: string, a: readonly VelocityWindow[], b: readonly VelocityWindow[]): void {
  const byAmountThenCount = (x: VelocityWindow, y: VelocityWindow) => cmpBigint(x.maxAmount, y.maxAmount) || x.maxCount - y.maxCount;
  for (const { label, before, after } of matchBy(
    a,
    b,
    (w) => w.seconds,
    (x, y) => x - y,
    byAmountThenCount,
    (s) => `seconds=${s}`,
  )) {
    const p = `${path}[${label}]`;
    if (before && !after) {
      const covered = amountCovered(before, b) && countCovered(before, b);
      out.push(removed(p, windowSummary(before), covered, covered ? 'window removed, but a window at least as long and as tight remains' : 'rolling limit removed'));
    } else if (!before && after) {
      out.push(added(p, windowSummary(after), true, 'new rolling limit'));
    } else if (before && after) {
      if (before.maxAmount !== after.maxAmount) {
        const ok = amountCovered(before, b);
        out.push(
          changed(
            `${p}.maxAmount`,
            before.maxAmount.toString(),
            after.maxAmount.toString(),
            ok,
            after.maxAmount <= before.maxAmount ? 'lower rolling amount limit' : ok ? 'higher, but another window at least as long is as tight' : 'higher rolling amount limit',
          ),
        );
      }
      if (before.maxCount !== after.maxCount) {
        const ok = countCovered(before, b);
        out.push(
          changed(
            `${p}.maxCount`,
            String(before.maxCount),
            String(after.maxCount),
            ok,
            after.maxCount <= before.maxCount ? 'lower rolling count limit' : ok ? 'higher, but another window at least as long is as tight' : 'higher rolling count limit',
          ),
        );
      }
    }
  }
}

// ---------- approval tiers ----------
//
// Above a tier's `above`, `required` approvals are needed; the strictest matching tier wins, and the
// number needed only grows with the amount. So the new tiers require at least as much for every
// amount iff, for each old tier, the new tiers require at least its `required` at `above + 1`.
// (Counting approvals is no looser only if no approver is added or re-keyed: see the principals.)

function tierCovered(t: ApprovalTier, rules: AssetRules): boolean {
  return requiredApprovals(rules, t.above + 1n) >= t.required;
}

function diffTiers(out: PolicyChange[], path: string, a: AssetRules, b: AssetRules): void {
  const byRequired = (x: ApprovalTier, y: ApprovalTier) => x.required - y.required;
  for (const { label, before, after } of matchBy(
    a.approvalTiers,
    b.approvalTiers,
    (t) => t.above,
    cmpBigint,
    byRequired,
    (v) => `above=${v}`,
  )) {
    const p = `${path}[${label}]`;
    if (before && !after) {
      const ok = tierCovered(before, b);
      out.push(removed(p, tierSummary(before), ok, ok ? 'tier removed, but the remaining tiers require as many approvals' : 'fewer approvals needed'));
    } else if (!before && after) {
      out.push(added(p, tierSummary(after), true, 'new approval tier'));
    } else if (before && after && before.required !== after.required) {
      const ok = tierCovered(before, b);
      out.push(
        changed(
          `${p}.required`,
          String(before.required),
          String(after.required),
          ok,
          after.required >= before.required ? 'more approvals needed' : ok ? 'lower, but another tier requires as many approvals' : 'fewer approvals needed',
        ),
      );
    }
  }
}

// ---------- principals (admins, approvers) ----------
//
// Approvals and admin signatures are counted by id against the id's key, so removing a principal
// only shrinks who can sign; adding one, or changing an id's algorithm or key, is not stricter.

function diffPrincipals(out: PolicyChange[], path: string, a: readonly Principal[], b: readonly Principal[], role: string): void {
  for (const { label, before, after } of matchBy(
    a,
    b,
    (p) => p.id,
    cmpString,
    () => 0,
    (id) => `id=${id}`,
  )) {
    const p = `${path}[${label}]`;
    if (before && !after) out.push(removed(p, principalSummary(before), true, `${role} removed`));
    else if (!before && after) out.push(added(p, principalSummary(after), false, `new ${role}`));
    else if (before && after) {
      if (before.alg !== after.alg) out.push(changed(`${p}.alg`, before.alg, after.alg, false, `${role} algorithm changed`));
      if (!equalBytes(before.publicKey, after.publicKey)) out.push(changed(`${p}.publicKey`, shortHex(before.publicKey), shortHex(after.publicKey), false, `${role} key changed`));
      diffPasskey(out, p, before, after, role);
    }
  }
}

/** Requesters and auditors (ids only): removing one is stricter at once, adding one waits the time lock. */
function diffNamed(out: PolicyChange[], path: string, a: readonly NamedPrincipal[], b: readonly NamedPrincipal[], role: string): void {
  for (const { label, before, after } of matchBy(
    a,
    b,
    (p) => p.id,
    cmpString,
    () => 0,
    (id) => `id=${id}`,
  )) {
    const p = `${path}[${label}]`;
    if (before && !after) out.push(removed(p, before.id, true, `${role} removed`));
    else if (!before && after) out.push(added(p, after.id, false, `new ${role}`));
  }
}

// ---------- matching ----------

interface Match<T> {
  label: string;
  before?: T;
  after?: T;
}

/**
 * Pairs the items of two unordered lists by a key, sorted by key; items sharing a key (which a valid
 * document does not have for principals) are ordered by `tie` and paired in that order, the second
 * and later ones labelled "#2", "#3"….
 */
function matchBy<T, K extends string | number | bigint>(
  a: readonly T[],
  b: readonly T[],
  keyOf: (x: T) => K,
  cmpKey: (x: K, y: K) => number,
  tie: (x: T, y: T) => number,
  labelOf: (k: K) => string,
): Match<T>[] {
  const group = (xs: readonly T[]) => {
    const m = new Map<K, T[]>();
    for (const x of xs) {
      const k = keyOf(x);
      const list = m.get(k);
      if (list) list.push(x);
      else m.set(k, [x]);
    }
    for (const list of m.values()) list.sort(tie);
    return m;
  };
  const ga = group(a);
  const gb = group(b);
  const keys = [...new Set([...ga.keys(), ...gb.keys()])].sort(cmpKey);
  const out: Match<T>[] = [];
  for (const k of keys) {
    const la = ga.get(k) ?? [];
    const lb = gb.get(k) ?? [];
    for (let i = 0; i < Math.max(la.length, lb.length); i++) {
      const m: Match<T> = { label: i === 0 ? labelOf(k) : `${labelOf(k)} #${i + 1}` };
      const x = la[i];
      const y = lb[i];
      if (x !== undefined) m.before = x;
      if (y !== undefined) m.after = y;
      out.push(m);
    }
  }
  return out;
}

// ---------- small helpers ----------

function added(path: string, after: string, stricter: boolean, note: string): PolicyChange {
  return { path, kind: 'added', after, stricter, note };
}
function removed(path: string, before: string, stricter: boolean, note: string): PolicyChange {
  return { path, kind: 'removed', before, stricter, note };
}
function changed(path: string, before: string, after: string, stricter: boolean, note: string): PolicyChange {
  return { path, kind: 'changed', before, after, stricter, note };
}

/** Code-unit order: the same on every machine, unlike localeCompare. */
function cmpString(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}
function cmpBigint(x: bigint, y: bigint): number {
  return x < y ? -1 : x > y ? 1 : 0;
}
function unionKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(cmpString);
}
function chainSet(chains: readonly bigint[]): Set<string> {
  return new Set(chains.map((c) => c.toString()));
}

function shortHex(bytes: Uint8Array): string {
  const hex = bytesToHex(bytes);
  return hex.length <= 24 ? hex : `${hex.slice(0, 12)}…${hex.slice(-8)} (${bytes.length} bytes)`;
}
function holdText(raw: number | null, effective: number): string {
  return raw === null ? `default (${effective} s)` : `${raw} s`;
}
/** A passkey approver's credential: another credential id, RP ID or origin lets other assertions count. */
function diffPasskey(out: PolicyChange[], p: string, before: Principal, after: Principal, role: string): void {
  const none = new Uint8Array(0);
  const beforeId = before.credentialId ?? none;
  const afterId = after.credentialId ?? none;
  if (!equalBytes(beforeId, afterId))
    out.push(changed(`${p}.credentialId`, beforeId.length ? shortHex(beforeId) : '-', afterId.length ? shortHex(afterId) : '-', false, `${role} passkey credential changed`));
  if ((before.rpId ?? '') !== (after.rpId ?? '')) out.push(changed(`${p}.rpId`, before.rpId ?? '-', after.rpId ?? '-', false, `${role} passkey RP ID changed`));
  const a = before.origins ?? [];
  const b = after.origins ?? [];
  if (a.length !== b.length || a.some((o, i) => o !== b[i])) {
    const narrower = b.every((o) => a.includes(o));
    out.push(
      changed(
        `${p}.origins`,
        a.join(' ') || '-',
        b.join(' ') || '-',
        narrower && b.length > 0,
        narrower ? `${role} passkey accepted from fewer origins` : `${role} passkey accepted from another origin`,
      ),
    );
  }
}

function principalSummary(p: Principal): string {
  if (p.alg === 'WebAuthn') return `WebAuthn credential ${shortHex(p.credentialId ?? new Uint8Array(0))} key ${shortHex(p.publicKey)} rpId ${p.rpId ?? '-'} origins ${(p.origins ?? []).join(' ')}`;
  return `${p.alg} ${shortHex(p.publicKey)}`;
}
function windowSummary(w: VelocityWindow): string {
  return `at most ${w.maxAmount} in ${w.maxCount} transfers per ${w.seconds} s`;
}
function tierSummary(t: ApprovalTier): string {
  return `${t.required} approvals above ${t.above}`;
}
function assetSummary(r: AssetRules): string {
  return `perTxMax ${r.perTxMax}, ${r.windows.length} windows, ${r.approvalTiers.length} approval tiers`;
}
function groupSummary(g: GroupPolicy): string {
  const chains = [...chainSet(g.chains)]
    .map((c) => BigInt(c))
    .sort(cmpBigint)
    .join(', ');
  const assets = Object.keys(g.assets).sort(cmpString).join(', ');
  const hold = g.holdSeconds === null ? 'default hold' : `hold ${g.holdSeconds} s`;
  return `chains [${chains}], whitelist ${g.whitelistRequired ? 'required' : 'not required'}, ${hold}, assets [${assets}]`;
}

/** Control characters (line breaks included) shown as \u escapes, so one value stays one table cell. */
function visible(s: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A Markdown code span that holds any text: a fence longer than any backtick run inside, pipes escaped for GFM tables. */
function code(s: string): string {
  if (s === '') return '';
  const v = visible(s).replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(v.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = v.startsWith('`') || v.endsWith('`') || v.startsWith(' ') || v.endsWith(' ') ? ' ' : '';
  return `${fence}${pad}${v}${pad}${fence}`;
}

/** Plain table-cell text with Markdown punctuation escaped. */
function text(s: string): string {
  return visible(s).replace(/[\\`*_[\]<>|#~]/g, (c) => `\\${c}`);
}
