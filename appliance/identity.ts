// Device identity: the token generates the P-256 attestation key; the manufacturer CA (outside the
// device) certifies it with the device id and the firmware measurement. The first audit entry records
// the certificate, so everything after it is signed by a key an auditor can trace to the CA. The token
// also generates the state-seal key and holds the anchor of the sealed state (sealed-state.ts).
import { ApplianceError } from '../protocol/errors.js';
import { issueDeviceCertificate, type ManufacturerCa } from '../attestation/certificates.js';
import type { Device } from './device.js';
import { attachAuditSigner } from './device.js';

export async function provisionIdentity(dev: Device, ca: ManufacturerCa): Promise<{ deviceCertPem: string }> {
  if (dev.meta.identity()) throw new ApplianceError('conflict', 'device already has an attestation identity');
  const att = await dev.keystore.generateP256Attestation('device-attestation');
  const deviceCertPem = await issueDeviceCertificate({
    ca,
    device: { deviceId: dev.config.deviceId, measurement: dev.measurement },
    devicePublicKey: att.publicKey,
  });
  const now = dev.clock();
  dev.sealed.provision();
  dev.seal.transaction(() => {
    dev.seal.initialize();
    dev.meta.setIdentity({
      attestationKeyId: att.ckaId,
      attestationPublicKey: att.publicKey,
      deviceCertPem,
      caCertPem: ca.certPem,
      enrolledMeasurement: dev.measurement,
    });
    attachAuditSigner(dev);
    dev.audit.append(now, { kind: 'device.provision', attestationPublicKey: att.publicKey, deviceCertificate: deviceCertPem, caCertificate: ca.certPem, enrolledMeasurement: dev.measurement });
  });
  dev.sealed.ensureAnchored();
  return { deviceCertPem };
}
