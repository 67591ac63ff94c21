// Device identity: the token generates the P-256 attestation key; the manufacturer CA (outside the
// device) certifies it with the device id and the firmware measurement. The first audit entry records
// the certificate, so everything after it is signed by a key an auditor can trace to the CA. The token
// also generates the state-seal key and holds the anchor of the sealed state (sealed-state.ts).
//
// The first entry is `device.provision` for a plain device, `ceremony.init` (the signed ceremony
// transcript) for a device made at a key ceremony, or `device.restore` (naming the source device) for
// a device rebuilt from a backup. Whatever the first entry records is applied in the same transaction.
import type { CborMap } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';
import type { AuditKind } from '../protocol/audit-kinds.js';
import { issueDeviceCertificate, type ManufacturerCa } from '../attestation/certificates.js';
import type { Device } from './device.js';
import { attachAuditSigner } from './device.js';
import type { StoredEntry } from './state/audit-log.js';
import type { TokenKey } from './keystore.js';

export interface PreparedIdentity {
  attestationKey: TokenKey;
  deviceCertPem: string;
  caCertPem: string;
}

/** Generates the attestation key in the token and has the CA certify it. Writes no state yet. */
export async function prepareIdentity(dev: Device, ca: ManufacturerCa): Promise<PreparedIdentity> {
  if (dev.meta.identity()) throw new ApplianceError('conflict', 'device already has an attestation identity');
  const attestationKey = await dev.keystore.generateP256Attestation('device-attestation');
  const deviceCertPem = await issueDeviceCertificate({
    ca,
    device: { deviceId: dev.config.deviceId, measurement: dev.measurement },
    devicePublicKey: attestationKey.publicKey,
  });
  return { attestationKey, deviceCertPem, caCertPem: ca.certPem };
}

export type FirstEntryKind = Extract<AuditKind, 'device.provision' | 'ceremony.init' | 'device.restore'>;

/** The identity fields every first entry carries. */
export function identityFields(p: PreparedIdentity, measurement: Uint8Array): CborMap {
  return { attestationPublicKey: p.attestationKey.publicKey, deviceCertificate: p.deviceCertPem, caCertificate: p.caCertPem, enrolledMeasurement: measurement };
}

/**
 * Stores the identity and appends the device's first audit entry (`kind` plus the identity fields plus
 * `fields`); `apply` makes the state changes the entry records, in the same transaction.
 */
export function commitIdentity(dev: Device, p: PreparedIdentity, kind: FirstEntryKind, fields: CborMap = {}, apply?: (now: number) => void): StoredEntry {
  const now = dev.clock();
  if (dev.meta.identity() || dev.audit.head().seq !== 0) throw new ApplianceError('conflict', 'device already has an attestation identity');
  dev.sealed.provision();
  const entry = dev.seal.transaction(() => {
    dev.seal.initialize();
    dev.meta.setIdentity({
      attestationKeyId: p.attestationKey.ckaId,
      attestationPublicKey: p.attestationKey.publicKey,
      deviceCertPem: p.deviceCertPem,
      caCertPem: p.caCertPem,
      enrolledMeasurement: dev.measurement,
    });
    attachAuditSigner(dev);
    apply?.(now);
    return dev.audit.append(now, { ...fields, ...identityFields(p, dev.measurement), kind });
  });
  dev.sealed.ensureAnchored();
  return entry;
}

export async function provisionIdentity(dev: Device, ca: ManufacturerCa): Promise<{ deviceCertPem: string }> {
  const p = await prepareIdentity(dev, ca);
  commitIdentity(dev, p, 'device.provision');
  return { deviceCertPem: p.deviceCertPem };
}
