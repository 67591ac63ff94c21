// The device side of `hsmctl ceremony backup`, in two steps around the token's trusted wrapping
// (appliance/pkcs11/trusted-wrap.ts), which needs the module to itself:
//   1. planBackup: the snapshot of the state and the keys to wrap;
//   2. sealBackup: the signed backup file and the `backup.created` audit entry, in one transaction.
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeCanonical, type CborMap } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { COSE_ALG_ES256, signCoseSign1 } from '../../attestation/cose-sign1.js';
import type { Device } from '../device.js';
import type { StoredEntry } from '../state/audit-log.js';
import { BACKUP_TYPE, BACKUP_VERSION } from './backup-file.js';
import { snapshotHash, snapshotState } from './state-snapshot.js';

export interface BackupPlan {
  snapshot: CborMap;
  stateHash: Uint8Array;
  /** Keys to wrap: the generated ones (derived keys are not extractable: a restore derives them again). */
  keys: { keyId: string; ckaId: Uint8Array }[];
  /** HD seeds to wrap (docs/hd-wallets.md). */
  seeds: { walletId: string; ckaId: Uint8Array }[];
  auditHead: { seq: number; hash: Uint8Array };
}

export function planBackup(dev: Device): BackupPlan {
  if (!dev.meta.identity()) throw new ApplianceError('unavailable', 'device has no attestation identity');
  // A tampered state (or a clock set back) is never carried into a backup.
  dev.sealed.guard();
  const derived = new Set(dev.hd.derivedKeys().map((k) => k.keyId));
  const keys = dev.keys.list().filter((k) => !derived.has(k.keyId));
  const seeds = dev.hd.wallets().map((w) => ({ walletId: w.walletId, ckaId: w.seedCkaId }));
  if (keys.length === 0 && seeds.length === 0) throw new ApplianceError('bad_request', 'the device has no keys to back up');
  const snapshot = snapshotState(dev);
  return { snapshot, stateHash: snapshotHash(snapshot), keys: keys.map((k) => ({ keyId: k.keyId, ckaId: k.ckaId })), seeds, auditHead: dev.audit.head() };
}

export interface SealInput {
  plan: BackupPlan;
  backupId: string;
  threshold: number;
  shares: number;
  custodians: string[];
  witness: string;
  kcv: Uint8Array;
  /** Digest of each custodian's share, in custodian order (see cli/ceremony/shares.ts shareDigest). */
  shareDigests: Uint8Array[];
  /** Wrapped blobs in the order of plan.keys. */
  wrapped: Uint8Array[];
  /** Wrapped seeds in the order of plan.seeds. */
  wrappedSeeds: Uint8Array[];
}

export async function sealBackup(dev: Device, input: SealInput): Promise<{ file: Uint8Array; entry: StoredEntry; fileHash: Uint8Array }> {
  const id = dev.meta.identity();
  if (!id) throw new ApplianceError('unavailable', 'device has no attestation identity');
  if (input.wrapped.length !== input.plan.keys.length || input.wrappedSeeds.length !== input.plan.seeds.length) throw new ApplianceError('internal', 'one wrapped blob per key and per seed expected');
  const head = dev.audit.head();
  if (head.seq !== input.plan.auditHead.seq) throw new ApplianceError('conflict', 'the device changed during the backup; run it again with the appliance stopped');
  const now = dev.clock();
  const payload = encodeCanonical({
    type: BACKUP_TYPE,
    version: BACKUP_VERSION,
    backupId: input.backupId,
    createdAt: now,
    witness: input.witness,
    source: {
      deviceId: dev.config.deviceId,
      deviceCertificate: id.deviceCertPem,
      caCertificate: id.caCertPem,
      attestationPublicKey: id.attestationPublicKey,
      measurement: dev.measurement,
      auditHead: head,
    },
    threshold: input.threshold,
    shares: input.shares,
    custodians: input.custodians,
    kcv: input.kcv,
    shareDigests: input.shareDigests,
    mechanism: 'CKM_AES_KEY_WRAP_PAD',
    keys: input.plan.keys.map((k, i) => ({ keyId: k.keyId, ckaId: k.ckaId, wrapped: input.wrapped[i]! })),
    seeds: input.plan.seeds.map((w, i) => ({ walletId: w.walletId, ckaId: w.ckaId, wrapped: input.wrappedSeeds[i]! })),
    state: input.plan.snapshot,
    stateHash: input.plan.stateHash,
  });
  const file = await signCoseSign1({ alg: COSE_ALG_ES256, kid: dev.config.deviceId, payload, sign: (tbs) => dev.keystore.signP256(id.attestationKeyId, tbs) });
  const fileHash = sha256(file);
  const entry = dev.seal.transaction(() =>
    dev.audit.append(now, {
      kind: 'backup.created',
      backupId: input.backupId,
      backupHash: fileHash,
      threshold: input.threshold,
      shares: input.shares,
      custodians: input.custodians,
      witness: input.witness,
      keyIds: input.plan.keys.map((k) => k.keyId),
      walletIds: input.plan.seeds.map((w) => w.walletId),
      stateHash: input.plan.stateHash,
      policyHash: (input.plan.snapshot.policy as CborMap).hash ?? null,
    }),
  );
  dev.sealed.ensureAnchored();
  return { file, entry, fileHash };
}
