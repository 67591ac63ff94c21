// The device side of `hsmctl ceremony restore`: the keys are already unwrapped into this new token
// (appliance/pkcs11/trusted-wrap.ts) and checked against their recorded public keys. This creates the
// new device's attestation identity, issues fresh key attestation certificates (generated on another
// device, wrappable only under a trusted key), and writes the device's FIRST audit entry,
// `device.restore`, naming the source device, its log head, the backup and the custodians whose
// shares were used, together with the policy and the carried state, in one transaction.
import { decodeCanonical, type CborMap } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { parsePolicy, policyHash, type PolicyDocument } from '../../firmware-policy/policy-document.js';
import { tallyRestoreApprovals } from '../../firmware-policy/policy-governance.js';
import type { Now } from '../../firmware-policy/device-time.js';
import type { Approval } from '../../firmware-policy/approvals/statement.js';
import { issueKeyAttestationCertificate, type ManufacturerCa } from '../../attestation/certificates.js';
import type { Device } from '../device.js';
import { countedApprovals, requireAdminQuorum } from '../admin-quorum.js';
import { commitIdentity, prepareIdentity } from '../identity.js';
import type { KeyRecord } from '../state/key-registry.js';
import type { StoredEntry } from '../state/audit-log.js';
import type { VerifiedBackup } from './backup-file.js';
import { importSnapshotRows, snapshotHdKeys, snapshotHdWallets } from './state-snapshot.js';
import { hdOrigin } from '../hd/derived-key-id.js';

export interface RestoreInput {
  backup: VerifiedBackup;
  /** The shares that rebuilt the wrap key: index and custodian (never the share itself). */
  sharesUsed: { index: number; custodian: string }[];
  /** The admin quorum's approvals of restoring this backup (device-restore statements). */
  approvals: Approval[];
  witness: string;
}

/** The backup's policy, and the admins of that policy who approved restoring this backup; throws without the quorum. */
export function checkRestoreApprovals(backup: VerifiedBackup, approvals: Approval[], now: Now): { doc: PolicyDocument; counted: string[] } {
  const policyRow = (backup.payload.state as CborMap).policy as CborMap;
  const doc = parsePolicy(decodeCanonical(policyRow.document as Uint8Array));
  const tally = tallyRestoreApprovals(doc, backup.fileHash, approvals, now);
  requireAdminQuorum(tally, 'restoring this backup', 'approvals');
  return { doc, counted: tally.counted };
}

export async function restoreDevice(dev: Device, ca: ManufacturerCa, input: RestoreInput): Promise<{ entry: StoredEntry; deviceCertPem: string; keys: KeyRecord[] }> {
  const { payload } = input.backup;
  const state = payload.state as CborMap;
  const policyRow = state.policy as CborMap;
  const { doc, counted } = checkRestoreApprovals(input.backup, input.approvals, dev.time());
  if (doc.deviceId !== dev.config.deviceId) throw new ApplianceError('bad_request', 'the backup policy names another device');
  // A new device continues the source's time from the backup, not from the host clock: the time since
  // then is unknown to it (docs/device-time.md), so an entry restored in its hold never ends early.
  if (!dev.meta.identity() && dev.audit.head().seq === 0 && typeof payload.createdAt === 'number') dev.deviceClock.resume(payload.createdAt);
  const hash = policyHash(doc);
  const prepared = await prepareIdentity(dev, ca);
  const keys: KeyRecord[] = [];
  const derivedAt = new Map(snapshotHdKeys(state).map((h) => [String(h.keyId), hdOrigin(String(h.walletId), String(h.path))]));
  for (const k of state.keys as CborMap[]) {
    const keyId = String(k.keyId);
    const hdDerivation = derivedAt.get(keyId);
    const certificate = await issueKeyAttestationCertificate({
      deviceCertPem: prepared.deviceCertPem,
      sign: (data) => dev.keystore.signP256(prepared.attestationKey.ckaId, data),
      keyPublicKey: k.publicKey as Uint8Array,
      attestation: {
        keyId,
        group: String(k.group),
        policyHash: hash,
        measurement: dev.measurement,
        generatedOnDevice: false,
        // A derived key was derived again from the restored seed and imported, never extractable.
        ...(hdDerivation === undefined ? { nonExtractable: false, wrapWithTrustedOnly: true } : { nonExtractable: true, wrapWithTrustedOnly: false, hdDerivation }),
        deviceId: dev.config.deviceId,
      },
    });
    keys.push({
      keyId,
      ckaId: k.ckaId as Uint8Array,
      label: String(k.label),
      group: String(k.group),
      address: String(k.address),
      publicKey: k.publicKey as Uint8Array,
      createdAt: Number(k.createdAt),
      policyHash: k.policyHash as Uint8Array,
      certificate,
    });
  }
  const source = payload.source as CborMap;
  const entry = commitIdentity(
    dev,
    prepared,
    'device.restore',
    {
      source: {
        deviceId: source.deviceId ?? null,
        attestationPublicKey: source.attestationPublicKey ?? null,
        deviceCertificate: source.deviceCertificate ?? null,
        auditHead: source.auditHead ?? null,
      },
      backupId: input.backup.backupId,
      backupHash: input.backup.fileHash,
      stateHash: payload.stateHash as Uint8Array,
      sharesUsed: input.sharesUsed.map((s) => ({ index: s.index, custodian: s.custodian })),
      approvals: countedApprovals(input.approvals, counted),
      threshold: input.backup.threshold,
      witness: input.witness,
      keys: keys.map((k) => ({
        keyId: k.keyId,
        address: k.address,
        publicKey: k.publicKey,
        certificate: k.certificate,
        sourceCertificate: String((state.keys as CborMap[]).find((s) => s.keyId === k.keyId)?.certificate ?? ''),
      })),
      // HD wallets restored from their wrapped seeds; their keys above were derived again (docs/hd-wallets.md).
      walletIds: snapshotHdWallets(state).map((w) => String(w.walletId)),
      policyVersion: doc.version,
      policyHash: hash,
      document: policyRow.document as Uint8Array,
    },
    (now) => {
      dev.policies.activate(doc, now);
      for (const k of keys) dev.keys.insert(k);
      importSnapshotRows(dev, state);
    },
  );
  return { entry, deviceCertPem: prepared.deviceCertPem, keys };
}
