// The part of a device's state a backup carries, so that a restored device keeps its guard rails:
// the active policy, the key registry, the whitelist (with hold times), the spend reservations (rolling
// windows go on counting what was spent up to the backup), the nonce guard (a restored key never
// signs a second intent at a nonce used before the backup) and the outstanding ERC-20 allowances (the
// cap on what a spender may hold goes on counting the grants made before the backup). A backup is a point in time: what the
// source did after it is not here, which is why restoring needs the admin quorum's approval. Pending
// requests and proposals are not carried: they are re-submitted to the restored device.
import { sha256Canonical, type CborMap, type CborValue } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import type { Device } from '../device.js';

const WHITELIST_PAGE = 10_000;

export function snapshotState(dev: Device): CborMap {
  const policy = dev.policies.current();
  const whitelist: CborMap[] = [];
  for (let offset = 0; ; offset += WHITELIST_PAGE) {
    const page = dev.whitelist.list(WHITELIST_PAGE, offset);
    for (const e of page) whitelist.push({ group: e.group, chainId: e.chainId, address: e.address, label: e.label, activeAt: e.activeAt, proposalId: e.proposalId, addedAt: e.addedAt });
    if (page.length < WHITELIST_PAGE) break;
  }
  return {
    policy: { version: policy.doc.version, hash: policy.hash, document: policy.encoded, activatedAt: policy.activatedAt },
    keys: dev.keys.list().map((k) => ({
      keyId: k.keyId,
      ckaId: k.ckaId,
      label: k.label,
      group: k.group,
      address: k.address,
      publicKey: k.publicKey,
      createdAt: k.createdAt,
      policyHash: k.policyHash,
      certificate: k.certificate,
    })),
    // HD wallets (docs/hd-wallets.md): the wallets and which keys were derived where; the seeds travel
    // wrapped beside the keys, and a restore derives these keys again instead of unwrapping them.
    hdWallets: dev.hd.wallets().map((w) => ({ walletId: w.walletId, seedCkaId: w.seedCkaId, label: w.label, createdAt: w.createdAt, policyHash: w.policyHash })),
    hdKeys: dev.hd.derivedKeys().map((k) => ({ keyId: k.keyId, walletId: k.walletId, path: k.path })),
    whitelist,
    spend: dev.spend.all(dev.db).map((r) => ({ keyId: r.keyId, asset: r.asset, at: r.at, amount: r.amount, requestId: r.requestId })),
    nonces: dev.nonces.all(dev.db).map((r) => ({ ...r })),
    allowances: dev.allowances.all(dev.db).map((a) => ({ keyId: a.keyId, asset: a.asset, spender: a.spender, amount: a.amount, nonce: a.nonce, requestId: a.requestId, now: a.now })),
  };
}

/** SHA-256 of the canonical encoding of a snapshot: what the backup and the restore entry both name. */
export function snapshotHash(snapshot: CborMap): Uint8Array {
  return sha256Canonical(snapshot);
}

function list(m: CborMap, field: string): CborMap[] {
  const v = m[field];
  if (!Array.isArray(v)) throw new ApplianceError('bad_request', `backup state has no "${field}" list`);
  return v as CborMap[];
}

const big = (v: CborValue | undefined): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));
const num = (v: CborValue | undefined): number => Number(v);

/**
 * Writes the carried whitelist, spend reservations, nonce records and allowances through their stores. Runs
 * inside the caller's transaction (the restore's first audit entry).
 */
export function importSnapshotRows(dev: Device, snapshot: CborMap): { whitelist: number; spend: number; nonces: number; allowances: number } {
  // A backup made before HD wallets carries none.
  for (const w of snapshotHdWallets(snapshot))
    dev.hd.insertWallet({ walletId: String(w.walletId), seedCkaId: w.seedCkaId as Uint8Array, label: String(w.label), createdAt: num(w.createdAt), policyHash: w.policyHash as Uint8Array });
  for (const k of snapshotHdKeys(snapshot)) dev.hd.insertKey({ keyId: String(k.keyId), walletId: String(k.walletId), path: String(k.path) });
  const wl = list(snapshot, 'whitelist');
  for (const e of wl) {
    dev.whitelist.put({
      group: String(e.group),
      chainId: big(e.chainId),
      address: e.address as Uint8Array,
      label: String(e.label),
      activeAt: num(e.activeAt),
      proposalId: String(e.proposalId),
      addedAt: num(e.addedAt),
    });
  }
  const spend = list(snapshot, 'spend');
  for (const r of spend) dev.spend.reserve(String(r.keyId), String(r.asset), big(r.amount), num(r.at), String(r.requestId));
  const nonces = list(snapshot, 'nonces');
  for (const n of nonces) {
    dev.nonces.record({
      keyId: String(n.keyId),
      chainId: big(n.chainId),
      nonce: big(n.nonce),
      intentDigest: n.intentDigest as Uint8Array,
      maxFeePerGas: big(n.maxFeePerGas),
      maxPriorityFeePerGas: big(n.maxPriorityFeePerGas),
      cancelled: n.cancelled === true,
      requestId: String(n.requestId),
      now: num(n.now),
    });
  }
  // A backup made before allowances were tracked carries none.
  const allowances = Array.isArray(snapshot.allowances) ? (snapshot.allowances as CborMap[]) : [];
  for (const a of allowances) {
    const update = { keyId: String(a.keyId), asset: String(a.asset), spender: a.spender as Uint8Array, amount: big(a.amount), nonce: a.nonce === null ? null : big(a.nonce) };
    dev.allowances.set(update, String(a.requestId), num(a.now));
  }
  return { whitelist: wl.length, spend: spend.length, nonces: nonces.length, allowances: allowances.length };
}

/** The HD wallets a snapshot carries (none in a backup made before HD wallets). */
export function snapshotHdWallets(snapshot: CborMap): CborMap[] {
  return Array.isArray(snapshot.hdWallets) ? (snapshot.hdWallets as CborMap[]) : [];
}

/** The derived keys a snapshot carries: key id, wallet and path. */
export function snapshotHdKeys(snapshot: CborMap): CborMap[] {
  return Array.isArray(snapshot.hdKeys) ? (snapshot.hdKeys as CborMap[]) : [];
}
