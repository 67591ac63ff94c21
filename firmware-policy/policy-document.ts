// The policy document: versioned, canonical CBOR, named by its SHA-256. Deny by default: anything
// the document does not allow (a group, a chain, an asset) is refused.
import { checkContractEntries } from './contract-entry-guard.js';
import type { CborMap, CborValue } from '../protocol/cbor.js';
import { encodeCanonical, sha256Canonical } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';
import { parseApproverPublicKey } from './approvals/keys.js';
import { parseCoseEs256Key, p256PointFromCoordinates } from './approvals/cose-key.js';
import type { ApprovalAlg } from './approvals/verify-signature.js';

/** Coinbase-style default: a new whitelist entry waits 48 h. */
export const DEFAULT_HOLD_SECONDS = 172_800;

/** How a principal signs: a key file (ES256, EdDSA) or, for approvers only, a WebAuthn passkey. */
export type PrincipalAlg = ApprovalAlg | 'WebAuthn';

export interface Principal {
  id: string;
  alg: PrincipalAlg;
  /** The public key: SEC 1 / Ed25519 bytes for a key file, the COSE_Key (ES256, P-256) for WebAuthn. */
  publicKey: Uint8Array;
  /** WebAuthn only: the credential id (1 to 1023 bytes). */
  credentialId?: Uint8Array;
  /** WebAuthn only: the relying-party id the authenticator hashes into its data. */
  rpId?: string;
  /** WebAuthn only: the exact console origins an assertion may come from (1 to 16). */
  origins?: string[];
}

/** The longest credential id WebAuthn allows (Level 3 §4, "Credential ID"). */
export const MAX_CREDENTIAL_ID_BYTES = 1023;
export const MAX_WEBAUTHN_ORIGINS = 16;

export interface VelocityWindow {
  seconds: number;
  maxAmount: bigint;
  maxCount: number;
}

export interface ApprovalTier {
  /** Applies when the amount is strictly above this. */
  above: bigint;
  /** Distinct approvers needed (m of the policy's n approvers). */
  required: number;
}

export interface AssetRules {
  perTxMax: bigint;
  windows: VelocityWindow[];
  approvalTiers: ApprovalTier[];
  /** Token decimals, for display and for operators writing limits (limits are in base units). */
  decimals?: number;
  /** Largest allowance an approve/permit may grant (default: perTxMax). */
  approvalCap?: bigint;
  /** An unlimited allowance (2^256-1) is denied unless this is true. */
  allowUnlimitedApproval?: boolean;
  /** A transfer strictly above this amount must carry a travel-rule hash (rules/travel-rule.ts); absent: never required. */
  travelRuleAbove?: bigint;
}

/** A contract call the group may make beyond transfers: this contract, these 4-byte selectors. */
export interface AllowedContract {
  chainId: bigint;
  address: Uint8Array;
  selectors: Uint8Array[];
}

/**
 * An EIP-712 domain the group may sign typed data for. Types the firmware decodes (Permit, Permit2,
 * EIP-3009 transfers) are judged by their own rules; any other primary type is signed only if its
 * exact type hash (keccak256 of encodeType, dependencies included) is listed here.
 */
export interface AllowedTypedDomain {
  chainId: bigint;
  verifyingContract: Uint8Array;
  typeHashes?: Uint8Array[];
}

/**
 * A Safe (Safe{Wallet} multisig) the group's keys may co-sign for, as one of its owners: the Safe's
 * transactions on this chain are signed once their inner call passes the group's rules
 * (rules/safe-tx.ts). Deny by default: a Safe not listed is refused.
 */
export interface AllowedSafe {
  chainId: bigint;
  address: Uint8Array;
  /**
   * The Safe may pay a gas refund (gasPrice, gasToken, refundReceiver set) to a whitelisted refund
   * receiver. True or absent; absent: every refund field must be zero.
   */
  allowGasRefund?: true;
}

/** Fee cap of one chain: gas limit, and worst-case fee (gasLimit × maxFeePerGas or gasPrice) in wei. */
export interface FeeCap {
  maxGasLimit: bigint;
  maxFeeWei: bigint;
}

export interface GroupPolicy {
  /** Chain ids this group's keys may sign for. */
  chains: bigint[];
  whitelistRequired: boolean;
  /** Hold for new whitelist entries of this group; falls back to the policy's default. */
  holdSeconds: number | null;
  /** Keyed by asset id, e.g. "31337:native" or "31337:erc20:0x<token, lower case>". An asset that is absent is denied. */
  assets: Record<string, AssetRules>;
  /** Contract calls allowed beyond plain and ERC-20 transfers (deny by default). */
  contracts?: AllowedContract[];
  /** EIP-712 domains allowed for typed-data signing (deny by default). */
  typedData?: AllowedTypedDomain[];
  /** Safes the group's keys may co-sign for (deny by default). */
  safes?: AllowedSafe[];
  /** Every request for this group's keys must be stamped by its requester (request-stamp.ts). */
  requireSignedRequests?: boolean;
  /**
   * A sweep group (deposit addresses): its keys may only send the native coin or one of the group's
   * ERC-20 assets to this one address (20 bytes, the group's hot address), by a plain transfer or an
   * ERC-20 `transfer`; any other recipient or call, and any typed data, is denied (rules/sweep-only.ts).
   * The policy names the address, so it needs no whitelist entry.
   */
  sweepTo?: Uint8Array;
}

export interface PolicyDocument {
  version: number;
  parentHash: Uint8Array | null;
  deviceId: string;
  defaultHoldSeconds: number;
  /** Time lock between a change's admin quorum and its activation; absent means the 48 h default. */
  changeDelaySeconds?: number;
  /**
   * Longest an approval may still have to run when it is judged (its expiresAt - now), for every
   * approval counted against this policy: transfer approvers and admins alike. Absent means 24 h.
   */
  maxApprovalLifetimeSeconds?: number;
  /** Fee caps per chain id (decimal string key); a chain without one has no fee cap. */
  feeCaps?: Record<string, FeeCap>;
  /** Keys moved to another group by a policy change (key id → group); others keep the group they were generated in. */
  keyGroups?: Record<string, string>;
  admins: Principal[];
  adminQuorum: number;
  approvers: Principal[];
  /**
   * Who may ask for a signature (bridge tokens of scope orchestrator are bound to one of these ids).
   * Absent means none: every signing request is refused. Ids share one namespace with admins and
   * approvers, so a requester who is also an approver cannot approve their own request.
   */
  requesters?: RequesterPrincipal[];
  /** Who may read the log and the policy through the bridge (an auditor token names one). */
  auditors?: NamedPrincipal[];
  /**
   * Every command an admin asks for through the bridge (whitelist.propose and .remove, policy.propose
   * and .activate, key.generate) must carry that admin's stamp (request-stamp.ts). True or absent.
   */
  requireSignedProposals?: boolean;
  groups: Record<string, GroupPolicy>;
}

/** A principal known by id only (auditors). */
export interface NamedPrincipal {
  id: string;
}

/**
 * A principal that may ask for signatures. With a request key, every request in its name must carry
 * its stamp (firmware-policy/request-stamp.ts); with `groups`, it may ask only for those key groups.
 */
export interface RequesterPrincipal {
  id: string;
  alg?: ApprovalAlg;
  publicKey?: Uint8Array;
  groups?: string[];
}

export const DEFAULT_CHANGE_DELAY_SECONDS = 172_800;

export function changeDelaySeconds(p: PolicyDocument): number {
  return p.changeDelaySeconds ?? DEFAULT_CHANGE_DELAY_SECONDS;
}

/** Default and bounds of maxApprovalLifetimeSeconds: 24 h; at least 5 min (so approvers can act), at most 30 days. */
export const DEFAULT_MAX_APPROVAL_LIFETIME_SECONDS = 86_400;
export const MIN_APPROVAL_LIFETIME_SECONDS = 300;
export const MAX_APPROVAL_LIFETIME_SECONDS = 30 * 86_400;

export function maxApprovalLifetimeSeconds(p: PolicyDocument): number {
  return p.maxApprovalLifetimeSeconds ?? DEFAULT_MAX_APPROVAL_LIFETIME_SECONDS;
}

export function nativeAssetId(chainId: bigint): string {
  return `${chainId}:native`;
}

export function erc20AssetId(chainId: bigint, token: Uint8Array): string {
  let hex = '';
  for (const b of token) hex += b.toString(16).padStart(2, '0');
  return `${chainId}:erc20:0x${hex}`;
}

/** An own entry of a name-keyed policy map; names such as "toString" or "__proto__" never hit Object.prototype. */
export function ownEntry<T>(map: Record<string, T>, name: string): T | undefined {
  return Object.hasOwn(map, name) ? map[name] : undefined;
}

export function groupOf(policy: PolicyDocument, group: string): GroupPolicy | undefined {
  return ownEntry(policy.groups, group);
}

/** A key's group: the policy's assignment if it moved the key, else the group it was generated in. */
export function keyGroupOf(policy: PolicyDocument, keyId: string, generatedIn: string): string {
  return (policy.keyGroups && ownEntry(policy.keyGroups, keyId)) ?? generatedIn;
}

export function groupHoldSeconds(policy: PolicyDocument, group: string): number {
  return groupOf(policy, group)?.holdSeconds ?? policy.defaultHoldSeconds;
}

/** Group names and asset ids: short, printable, and never an Object.prototype member like "__proto__". */
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,63}$/;

// ---------- canonical form ----------

export function policyToCbor(p: PolicyDocument): CborMap {
  const principal = (x: Principal): CborMap =>
    x.alg === 'WebAuthn'
      ? { id: x.id, alg: x.alg, publicKey: x.publicKey, credentialId: x.credentialId ?? new Uint8Array(0), rpId: x.rpId ?? '', origins: [...(x.origins ?? [])] }
      : { id: x.id, alg: x.alg, publicKey: x.publicKey };
  const groups: CborMap = {};
  for (const [name, g] of Object.entries(p.groups)) {
    const assets: CborMap = {};
    for (const [asset, a] of Object.entries(g.assets)) {
      const am: CborMap = {
        perTxMax: a.perTxMax,
        windows: a.windows.map((w) => ({ seconds: w.seconds, maxAmount: w.maxAmount, maxCount: w.maxCount })),
        approvalTiers: a.approvalTiers.map((t) => ({ above: t.above, required: t.required })),
      };
      if (a.decimals !== undefined) am.decimals = a.decimals;
      if (a.approvalCap !== undefined) am.approvalCap = a.approvalCap;
      if (a.allowUnlimitedApproval !== undefined) am.allowUnlimitedApproval = a.allowUnlimitedApproval;
      if (a.travelRuleAbove !== undefined) am.travelRuleAbove = a.travelRuleAbove;
      assets[asset] = am;
    }
    const gm: CborMap = { chains: g.chains, whitelistRequired: g.whitelistRequired, holdSeconds: g.holdSeconds, assets };
    if (g.contracts !== undefined) gm.contracts = g.contracts.map((c) => ({ chainId: c.chainId, address: c.address, selectors: c.selectors }));
    if (g.typedData !== undefined)
      gm.typedData = g.typedData.map((d) => ({ chainId: d.chainId, verifyingContract: d.verifyingContract, ...(d.typeHashes === undefined ? {} : { typeHashes: d.typeHashes }) }));
    if (g.safes !== undefined) gm.safes = g.safes.map((x) => ({ chainId: x.chainId, address: x.address, ...(x.allowGasRefund === true ? { allowGasRefund: true } : {}) }));
    if (g.requireSignedRequests === true) gm.requireSignedRequests = true;
    if (g.sweepTo !== undefined) gm.sweepTo = g.sweepTo;
    groups[name] = gm;
  }
  const out: CborMap = {
    version: p.version,
    parentHash: p.parentHash,
    deviceId: p.deviceId,
    defaultHoldSeconds: p.defaultHoldSeconds,
    admins: p.admins.map(principal),
    adminQuorum: p.adminQuorum,
    approvers: p.approvers.map(principal),
    groups,
  };
  if (p.changeDelaySeconds !== undefined) out.changeDelaySeconds = p.changeDelaySeconds;
  if (p.maxApprovalLifetimeSeconds !== undefined) out.maxApprovalLifetimeSeconds = p.maxApprovalLifetimeSeconds;
  if (p.requesters !== undefined) out.requesters = p.requesters.map(requesterToCbor);
  if (p.auditors !== undefined) out.auditors = p.auditors.map((r) => ({ id: r.id }));
  if (p.requireSignedProposals === true) out.requireSignedProposals = true;
  if (p.keyGroups !== undefined) out.keyGroups = { ...p.keyGroups };
  if (p.feeCaps !== undefined) {
    const caps: CborMap = {};
    for (const [chain, c] of Object.entries(p.feeCaps)) caps[chain] = { maxGasLimit: c.maxGasLimit, maxFeeWei: c.maxFeeWei };
    out.feeCaps = caps;
  }
  return out;
}

export function encodePolicy(p: PolicyDocument): Uint8Array {
  return encodeCanonical(policyToCbor(p));
}

export function policyHash(p: PolicyDocument): Uint8Array {
  return sha256Canonical(policyToCbor(p));
}

// ---------- validation (from decoded CBOR) ----------

const bad = (path: string, what: string) => new ApplianceError('bad_request', `policy "${path}" ${what}`);

function obj(v: CborValue | undefined, path: string): CborMap {
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array || v instanceof Map) throw bad(path, 'must be a map');
  return v as CborMap;
}
function arr(v: CborValue | undefined, path: string): CborValue[] {
  if (!Array.isArray(v)) throw bad(path, 'must be an array');
  return v;
}
function str(v: CborValue | undefined, path: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 128) throw bad(path, 'must be a non-empty string of at most 128 characters');
  return v;
}
function uint(v: CborValue | undefined, path: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) throw bad(path, `must be an integer in [0, ${max}]`);
  return v;
}
function amount(v: CborValue | undefined, path: string): bigint {
  const b = typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : v;
  if (typeof b !== 'bigint' || b < 0n || b >= 1n << 256n) throw bad(path, 'must be an unsigned 256-bit integer');
  return b;
}
/** `requireSignedRequests`, `requireSignedProposals` and a Safe's `allowGasRefund` are true or absent: one encoding per meaning, so a policy has one hash. */
function signedOnly(v: CborValue | undefined, path: string): true {
  if (v !== true) throw bad(path, 'must be true (leave it out for false)');
  return true;
}

function bool(v: CborValue | undefined, path: string): boolean {
  if (typeof v !== 'boolean') throw bad(path, 'must be a boolean');
  return v;
}
function bytesOf(v: CborValue | undefined, path: string, len: number): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length !== len) throw bad(path, `must be ${len} bytes`);
  return v;
}
function parseFeeCaps(v: CborValue): Record<string, FeeCap> {
  const out: Record<string, FeeCap> = {};
  for (const [chain, cv] of Object.entries(obj(v, 'feeCaps'))) {
    if (!/^[1-9][0-9]{0,19}$/.test(chain)) throw bad(`feeCaps.${chain}`, 'must be keyed by a chain id');
    const c = obj(cv, `feeCaps.${chain}`);
    keysExactly(c, `feeCaps.${chain}`, ['maxGasLimit', 'maxFeeWei']);
    out[chain] = { maxGasLimit: amount(c.maxGasLimit, `feeCaps.${chain}.maxGasLimit`), maxFeeWei: amount(c.maxFeeWei, `feeCaps.${chain}.maxFeeWei`) };
  }
  return out;
}
function parseKeyGroups(v: CborValue, groups: Record<string, GroupPolicy>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [keyId, g] of Object.entries(obj(v, 'keyGroups'))) {
    if (!NAME_RE.test(keyId)) throw bad(`keyGroups.${keyId}`, `key id must match ${NAME_RE}`);
    const group = str(g, `keyGroups.${keyId}`);
    if (!Object.hasOwn(groups, group)) throw bad(`keyGroups.${keyId}`, `names group "${group}", which the policy does not define`);
    out[keyId] = group;
  }
  return out;
}
function approvalLifetime(v: CborValue): number {
  const n = uint(v, 'maxApprovalLifetimeSeconds', MAX_APPROVAL_LIFETIME_SECONDS);
  if (n < MIN_APPROVAL_LIFETIME_SECONDS) throw bad('maxApprovalLifetimeSeconds', `must be at least ${MIN_APPROVAL_LIFETIME_SECONDS}`);
  return n;
}
/** One entry per (chainId, verifyingContract): the evaluator reads one entry, the policy diff all of them. */
function noDuplicateTypedDomains(domains: AllowedTypedDomain[] | undefined, path: string): void {
  const seen = new Map<string, number>();
  (domains ?? []).forEach((d, i) => {
    const label = `${d.chainId}:0x${Array.from(d.verifyingContract, (b) => b.toString(16).padStart(2, '0')).join('')}`;
    const first = seen.get(label);
    if (first !== undefined) throw bad(`${path}[${i}]`, `repeats the domain ${label} of ${path}[${first}] (one entry per chainId and verifyingContract)`);
    seen.set(label, i);
  });
}
/** A sweep group sends to its one address and nothing else: an allowlist of calls or typed data would say otherwise, so it is refused. */
function checkSweepGroup(g: GroupPolicy, path: string): void {
  if (g.sweepTo === undefined) return;
  if (g.sweepTo.every((b) => b === 0)) throw bad(`${path}.sweepTo`, 'must not be the zero address');
  if ((g.contracts ?? []).length > 0) throw bad(`${path}.contracts`, 'must be absent or empty in a sweep group (sweepTo): its keys make no other calls');
  if ((g.typedData ?? []).length > 0) throw bad(`${path}.typedData`, 'must be absent or empty in a sweep group (sweepTo): its keys sign no typed data');
  if ((g.safes ?? []).length > 0) throw bad(`${path}.safes`, 'must be absent or empty in a sweep group (sweepTo): its keys co-sign no Safe');
}
/** One entry per (chainId, Safe address), so the entry the evaluator reads is the only one. */
function noDuplicateSafes(safes: AllowedSafe[] | undefined, path: string): void {
  const seen = new Map<string, number>();
  (safes ?? []).forEach((x, i) => {
    const label = `${x.chainId}:0x${Array.from(x.address, (b) => b.toString(16).padStart(2, '0')).join('')}`;
    const first = seen.get(label);
    if (first !== undefined) throw bad(`${path}[${i}]`, `repeats the Safe ${label} of ${path}[${first}]`);
    seen.set(label, i);
  });
}
function parseSafes(v: CborValue | undefined, path: string): AllowedSafe[] {
  return arr(v, path).map((sv, i) => {
    const x = obj(sv, `${path}[${i}]`);
    keysExactly(x, `${path}[${i}]`, ['chainId', 'address', 'allowGasRefund']);
    const address = Uint8Array.from(bytesOf(x.address, `${path}[${i}].address`, 20));
    if (address.every((b) => b === 0)) throw bad(`${path}[${i}].address`, 'must not be the zero address');
    return {
      chainId: amount(x.chainId, `${path}[${i}].chainId`),
      address,
      ...(x.allowGasRefund === undefined ? {} : { allowGasRefund: signedOnly(x.allowGasRefund, `${path}[${i}].allowGasRefund`) }),
    };
  });
}
function keysExactly(m: CborMap, path: string, allowed: readonly string[]): void {
  for (const k of Object.keys(m)) if (!allowed.includes(k)) throw bad(`${path}.${k}`, 'is not a known field');
}

/** A WebAuthn approver: its COSE_Key (ES256 on P-256, checked here), credential id, RP ID and origins. */
function parseWebAuthnPrincipal(m: CborMap, at: string, id: string): Principal {
  keysExactly(m, at, ['id', 'alg', 'publicKey', 'credentialId', 'rpId', 'origins']);
  const pk = m.publicKey;
  if (!(pk instanceof Uint8Array)) throw bad(`${at}.publicKey`, 'must be a byte string');
  const coords = parseCoseEs256Key(pk);
  if (coords === null || p256PointFromCoordinates(coords) === null) throw bad(`${at}.publicKey`, 'must be an ES256 COSE_Key on P-256 in deterministic CBOR');
  const cid = m.credentialId;
  if (!(cid instanceof Uint8Array) || cid.length === 0 || cid.length > MAX_CREDENTIAL_ID_BYTES) throw bad(`${at}.credentialId`, `must be 1 to ${MAX_CREDENTIAL_ID_BYTES} bytes`);
  const rpId = str(m.rpId, `${at}.rpId`);
  const list = arr(m.origins, `${at}.origins`);
  if (list.length === 0 || list.length > MAX_WEBAUTHN_ORIGINS) throw bad(`${at}.origins`, `must hold 1 to ${MAX_WEBAUTHN_ORIGINS} origins`);
  const origins = list.map((o, j) => str(o, `${at}.origins[${j}]`));
  origins.forEach((o, j) => {
    if (origins.indexOf(o) !== j) throw bad(`${at}.origins[${j}]`, 'is a duplicate');
  });
  return { id, alg: 'WebAuthn', publicKey: Uint8Array.from(pk), credentialId: Uint8Array.from(cid), rpId, origins };
}

/** Admins and approvers; a WebAuthn passkey only where `passkeys` allows it (approvers). */
function parsePrincipals(v: CborValue | undefined, path: string, passkeys = false): Principal[] {
  const seen = new Set<string>();
  const credentials = new Set<string>();
  return arr(v, path).map((x, i) => {
    const at = `${path}[${i}]`;
    const m = obj(x, at);
    const id = str(m.id, `${at}.id`);
    if (seen.has(id)) throw bad(`${at}.id`, 'is a duplicate');
    seen.add(id);
    const alg = m.alg;
    if (alg === 'WebAuthn') {
      if (!passkeys) throw bad(`${at}.alg`, 'must be "ES256" or "EdDSA" (a WebAuthn passkey may be an approver, not an admin)');
      const p = parseWebAuthnPrincipal(m, at, id);
      const cid = Array.from(p.credentialId ?? [], (b) => b.toString(16).padStart(2, '0')).join('');
      if (credentials.has(cid)) throw bad(`${at}.credentialId`, 'is the credential of another approver');
      credentials.add(cid);
      return p;
    }
    keysExactly(m, at, ['id', 'alg', 'publicKey']);
    if (alg !== 'ES256' && alg !== 'EdDSA') throw bad(`${at}.alg`, passkeys ? 'must be "ES256", "EdDSA" or "WebAuthn"' : 'must be "ES256" or "EdDSA"');
    const pk = m.publicKey;
    if (!(pk instanceof Uint8Array)) throw bad(`${at}.publicKey`, 'must be a byte string');
    return { id, alg, publicKey: parseApproverPublicKey(alg, pk) };
  });
}

function requesterToCbor(r: RequesterPrincipal): CborMap {
  const out: CborMap = { id: r.id };
  if (r.alg !== undefined && r.publicKey !== undefined) {
    out.alg = r.alg;
    out.publicKey = r.publicKey;
  }
  if (r.groups !== undefined) out.groups = [...r.groups];
  return out;
}

function parseRequesters(v: CborValue | undefined, path: string, groups: Record<string, GroupPolicy>): RequesterPrincipal[] {
  const seen = new Set<string>();
  return arr(v, path).map((x, i) => {
    const at = `${path}[${i}]`;
    const m = obj(x, at);
    keysExactly(m, at, ['id', 'alg', 'publicKey', 'groups']);
    const id = str(m.id, `${at}.id`);
    if (seen.has(id)) throw bad(`${at}.id`, 'is a duplicate');
    seen.add(id);
    const out: RequesterPrincipal = { id };
    if ((m.alg === undefined) !== (m.publicKey === undefined)) throw bad(at, 'has "alg" and "publicKey" together or neither');
    if (m.alg !== undefined) {
      if (m.alg !== 'ES256' && m.alg !== 'EdDSA') throw bad(`${at}.alg`, 'must be "ES256" or "EdDSA"');
      if (!(m.publicKey instanceof Uint8Array)) throw bad(`${at}.publicKey`, 'must be a byte string');
      out.alg = m.alg;
      out.publicKey = parseApproverPublicKey(m.alg, m.publicKey);
    }
    if (m.groups !== undefined) {
      const names = arr(m.groups, `${at}.groups`).map((g, j) => str(g, `${at}.groups[${j}]`));
      names.forEach((g, j) => {
        if (!Object.prototype.hasOwnProperty.call(groups, g)) throw bad(`${at}.groups[${j}]`, `names key group "${g}", which the policy does not have`);
        if (names.indexOf(g) !== j) throw bad(`${at}.groups[${j}]`, 'is a duplicate');
      });
      out.groups = names;
    }
    return out;
  });
}

function parseNamed(v: CborValue | undefined, path: string): NamedPrincipal[] {
  const seen = new Set<string>();
  return arr(v, path).map((x, i) => {
    const m = obj(x, `${path}[${i}]`);
    keysExactly(m, `${path}[${i}]`, ['id']);
    const id = str(m.id, `${path}[${i}].id`);
    if (seen.has(id)) throw bad(`${path}[${i}].id`, 'is a duplicate');
    seen.add(id);
    return { id };
  });
}

/** One namespace: an id that is both admin and approver names one principal, so it has one key. */
function checkOneNamespace(admins: readonly Principal[], approvers: readonly Principal[]): void {
  approvers.forEach((ap, i) => {
    const ad = admins.find((a) => a.id === ap.id);
    if (ad && (ad.alg !== ap.alg || ad.publicKey.length !== ap.publicKey.length || ad.publicKey.some((b, j) => b !== ap.publicKey[j]))) {
      throw bad(`approvers[${i}].id`, `names admin "${ap.id}" with another key (one id is one principal)`);
    }
  });
}

export function parsePolicy(v: CborValue): PolicyDocument {
  const m = obj(v, '$');
  keysExactly(m, '$', [
    'version',
    'parentHash',
    'deviceId',
    'defaultHoldSeconds',
    'changeDelaySeconds',
    'maxApprovalLifetimeSeconds',
    'feeCaps',
    'keyGroups',
    'admins',
    'adminQuorum',
    'approvers',
    'requesters',
    'auditors',
    'requireSignedProposals',
    'groups',
  ]);
  const parentHash = m.parentHash;
  if (parentHash !== null && !(parentHash instanceof Uint8Array && parentHash.length === 32)) throw bad('parentHash', 'must be null or 32 bytes');
  const admins = parsePrincipals(m.admins, 'admins');
  const approvers = parsePrincipals(m.approvers, 'approvers', true);
  checkOneNamespace(admins, approvers);
  const adminQuorum = uint(m.adminQuorum, 'adminQuorum', admins.length);
  if (adminQuorum < 1) throw bad('adminQuorum', 'must be at least 1');
  const groups: Record<string, GroupPolicy> = {};
  for (const [name, gv] of Object.entries(obj(m.groups, 'groups'))) {
    const gp = `groups.${name}`;
    if (!NAME_RE.test(name)) throw bad(gp, `name must match ${NAME_RE}`);
    const g = obj(gv, gp);
    keysExactly(g, gp, ['chains', 'whitelistRequired', 'holdSeconds', 'assets', 'contracts', 'typedData', 'safes', 'requireSignedRequests', 'sweepTo']);
    const assets: Record<string, AssetRules> = {};
    for (const [asset, av] of Object.entries(obj(g.assets, `${gp}.assets`))) {
      const ap = `${gp}.assets.${asset}`;
      if (!NAME_RE.test(asset)) throw bad(ap, `name must match ${NAME_RE}`);
      const a = obj(av, ap);
      keysExactly(a, ap, ['perTxMax', 'windows', 'approvalTiers', 'decimals', 'approvalCap', 'allowUnlimitedApproval', 'travelRuleAbove']);
      assets[asset] = {
        ...(a.decimals === undefined ? {} : { decimals: uint(a.decimals, `${ap}.decimals`, 77) }),
        ...(a.approvalCap === undefined ? {} : { approvalCap: amount(a.approvalCap, `${ap}.approvalCap`) }),
        ...(a.allowUnlimitedApproval === undefined ? {} : { allowUnlimitedApproval: bool(a.allowUnlimitedApproval, `${ap}.allowUnlimitedApproval`) }),
        ...(a.travelRuleAbove === undefined ? {} : { travelRuleAbove: amount(a.travelRuleAbove, `${ap}.travelRuleAbove`) }),
        perTxMax: amount(a.perTxMax, `${ap}.perTxMax`),
        windows: arr(a.windows, `${ap}.windows`).map((wv, i) => {
          const w = obj(wv, `${ap}.windows[${i}]`);
          keysExactly(w, `${ap}.windows[${i}]`, ['seconds', 'maxAmount', 'maxCount']);
          const seconds = uint(w.seconds, `${ap}.windows[${i}].seconds`, 366 * 86_400);
          if (seconds < 1) throw bad(`${ap}.windows[${i}].seconds`, 'must be at least 1');
          return { seconds, maxAmount: amount(w.maxAmount, `${ap}.windows[${i}].maxAmount`), maxCount: uint(w.maxCount, `${ap}.windows[${i}].maxCount`) };
        }),
        approvalTiers: arr(a.approvalTiers, `${ap}.approvalTiers`).map((tv, i) => {
          const t = obj(tv, `${ap}.approvalTiers[${i}]`);
          keysExactly(t, `${ap}.approvalTiers[${i}]`, ['above', 'required']);
          const required = uint(t.required, `${ap}.approvalTiers[${i}].required`, approvers.length);
          return { above: amount(t.above, `${ap}.approvalTiers[${i}].above`), required };
        }),
      };
    }
    const hold = g.holdSeconds;
    groups[name] = {
      chains: arr(g.chains, `${gp}.chains`).map((c, i) => {
        const id = amount(c, `${gp}.chains[${i}]`);
        if (id < 1n || id >= 1n << 64n) throw bad(`${gp}.chains[${i}]`, 'must be a chain id in [1, 2^64)');
        return id;
      }),
      whitelistRequired: bool(g.whitelistRequired, `${gp}.whitelistRequired`),
      holdSeconds: hold === null || hold === undefined ? null : uint(hold, `${gp}.holdSeconds`),
      assets,
      ...(g.contracts === undefined
        ? {}
        : {
            contracts: arr(g.contracts, `${gp}.contracts`).map((cv, i) => {
              const c = obj(cv, `${gp}.contracts[${i}]`);
              keysExactly(c, `${gp}.contracts[${i}]`, ['chainId', 'address', 'selectors']);
              return {
                chainId: amount(c.chainId, `${gp}.contracts[${i}].chainId`),
                address: bytesOf(c.address, `${gp}.contracts[${i}].address`, 20),
                selectors: arr(c.selectors, `${gp}.contracts[${i}].selectors`).map((sv, j) => bytesOf(sv, `${gp}.contracts[${i}].selectors[${j}]`, 4)),
              };
            }),
          }),
      ...(g.typedData === undefined
        ? {}
        : {
            typedData: arr(g.typedData, `${gp}.typedData`).map((dv, i) => {
              const d = obj(dv, `${gp}.typedData[${i}]`);
              keysExactly(d, `${gp}.typedData[${i}]`, ['chainId', 'verifyingContract', 'typeHashes']);
              return {
                chainId: amount(d.chainId, `${gp}.typedData[${i}].chainId`),
                verifyingContract: bytesOf(d.verifyingContract, `${gp}.typedData[${i}].verifyingContract`, 20),
                ...(d.typeHashes === undefined ? {} : { typeHashes: arr(d.typeHashes, `${gp}.typedData[${i}].typeHashes`).map((h, j) => bytesOf(h, `${gp}.typedData[${i}].typeHashes[${j}]`, 32)) }),
              };
            }),
          }),
      ...(g.safes === undefined ? {} : { safes: parseSafes(g.safes, `${gp}.safes`) }),
      ...(g.requireSignedRequests === undefined ? {} : { requireSignedRequests: signedOnly(g.requireSignedRequests, `${gp}.requireSignedRequests`) }),
      ...(g.sweepTo === undefined ? {} : { sweepTo: Uint8Array.from(bytesOf(g.sweepTo, `${gp}.sweepTo`, 20)) }),
    };
    checkSweepGroup(groups[name]!, gp);
    noDuplicateTypedDomains(groups[name]!.typedData, `${gp}.typedData`);
    noDuplicateSafes(groups[name]!.safes, `${gp}.safes`);
    checkContractEntries(groups[name]!, `${gp}.contracts`);
  }
  return {
    version: uint(m.version, 'version'),
    parentHash: parentHash as Uint8Array | null,
    deviceId: str(m.deviceId, 'deviceId'),
    defaultHoldSeconds: uint(m.defaultHoldSeconds, 'defaultHoldSeconds'),
    ...(m.changeDelaySeconds === undefined ? {} : { changeDelaySeconds: uint(m.changeDelaySeconds, 'changeDelaySeconds') }),
    ...(m.maxApprovalLifetimeSeconds === undefined ? {} : { maxApprovalLifetimeSeconds: approvalLifetime(m.maxApprovalLifetimeSeconds) }),
    ...(m.feeCaps === undefined ? {} : { feeCaps: parseFeeCaps(m.feeCaps) }),
    ...(m.keyGroups === undefined ? {} : { keyGroups: parseKeyGroups(m.keyGroups, groups) }),
    admins,
    adminQuorum,
    approvers,
    ...(m.requesters === undefined ? {} : { requesters: parseRequesters(m.requesters, 'requesters', groups) }),
    ...(m.auditors === undefined ? {} : { auditors: parseNamed(m.auditors, 'auditors') }),
    ...(m.requireSignedProposals === undefined ? {} : { requireSignedProposals: signedOnly(m.requireSignedProposals, 'requireSignedProposals') }),
    groups,
  };
}
