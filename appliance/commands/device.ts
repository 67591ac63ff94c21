// device.info: identity and certificates. device.attest: a quote signed by the device key over the
// caller's challenge, the measurement, the active policy hash and the log head. firmware.approve: an
// admin approval of a new firmware measurement (a firmware update is treated like a policy change).
import type { CborMap } from '../../protocol/cbor.js';
import { encodeCanonical } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { bytes, onlyKeys, str, uint } from '../../protocol/args.js';
import { COSE_ALG_ES256, signCoseSign1 } from '../../attestation/cose-sign1.js';
import { tallySignedApprovals } from '../../firmware-policy/approvals/tally.js';
import { maxApprovalLifetimeSeconds } from '../../firmware-policy/policy-document.js';
import type { Approval } from '../../firmware-policy/approvals/statement.js';
import type { Device } from '../device.js';
import { firmwareStatus } from '../device.js';

function identityOrFail(dev: Device) {
  const id = dev.meta.identity();
  if (!id) throw new ApplianceError('unavailable', 'device has no attestation identity');
  return id;
}

export async function deviceInfo(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', []);
  const id = identityOrFail(dev);
  const fw = firmwareStatus(dev);
  return {
    deviceId: dev.config.deviceId,
    deviceCertificate: id.deviceCertPem,
    caCertificate: id.caCertPem,
    attestationPublicKey: id.attestationPublicKey,
    measurement: dev.measurement,
    enrolledMeasurement: id.enrolledMeasurement,
    approvedMeasurements: dev.meta.approvedMeasurements(),
    firmwareApproved: fw.approved,
    sealed: dev.sealed.status(),
  };
}

/** The statement an admin signs to approve a firmware measurement. */
export function encodeFirmwareStatement(deviceId: string, measurement: Uint8Array, adminId: string, expiresAt: number): Uint8Array {
  return encodeCanonical({ type: 'firmware-update', deviceId, measurement, adminId, expiresAt });
}

export async function deviceAttest(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['challenge']);
  const challenge = bytes(args, 'challenge', undefined, 64);
  if (challenge.length < 8) throw new ApplianceError('bad_request', '"challenge" expected 8 to 64 bytes', { field: 'challenge' });
  const id = identityOrFail(dev);
  const head = dev.audit.head();
  const policy = dev.policies.hasPolicy() ? dev.policies.current() : undefined;
  const payload = encodeCanonical({
    type: 'attestation-quote',
    deviceId: dev.config.deviceId,
    measurement: dev.measurement,
    firmwareApproved: firmwareStatus(dev).approved,
    policyVersion: policy ? policy.doc.version : null,
    policyHash: policy ? policy.hash : null,
    logHead: { seq: head.seq, hash: head.hash },
    time: dev.clock(),
    challenge,
  });
  const quote = await signCoseSign1({ alg: COSE_ALG_ES256, kid: dev.config.deviceId, payload, sign: (tbs) => dev.keystore.signP256(id.attestationKeyId, tbs) });
  return { quote, deviceCertificate: id.deviceCertPem };
}

export async function firmwareApprove(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['measurement', 'adminId', 'expiresAt', 'signature']);
  const measurement = bytes(args, 'measurement', 32);
  const approval: Approval = { approverId: str(args, 'adminId', 128), expiresAt: uint(args, 'expiresAt'), signature: bytes(args, 'signature', undefined, 512) };
  identityOrFail(dev);
  const now = dev.clock();
  const policy = dev.policies.current();
  const rules = {
    principals: policy.doc.admins,
    required: policy.doc.adminQuorum,
    requester: '',
    now: dev.time(),
    maxLifetimeSeconds: maxApprovalLifetimeSeconds(policy.doc),
    statementFor: (adminId: string, expiresAt: number) => encodeFirmwareStatement(dev.config.deviceId, measurement, adminId, expiresAt),
  };
  const rejected = tallySignedApprovals(rules, [approval]).rejected[0];
  if (rejected) {
    const auditSeq = dev.refusals.record({ kind: 'firmware.approve', approvedMeasurement: measurement, outcome: 'rejected', approvals: [{ approverId: approval.approverId, expiresAt: approval.expiresAt, signature: approval.signature }], rejectedApprovals: [{ approverId: rejected.approverId, why: rejected.why }] });
    throw new ApplianceError('denied', `approval rejected: ${rejected.why}`, { approverId: rejected.approverId, why: rejected.why, auditSeq });
  }
  const others = dev.meta.firmwareApprovals(measurement).filter((a) => a.approverId !== approval.approverId);
  const tally = tallySignedApprovals(rules, [...others, approval]);
  const accepted = tally.counted.length >= tally.required;
  const hex = Buffer.from(measurement).toString('hex');
  dev.seal.transaction(() => {
    dev.meta.addFirmwareApproval(measurement, approval);
    if (accepted) dev.meta.approveMeasurement(hex);
    dev.audit.append(now, {
      kind: 'firmware.approve',
      approvedMeasurement: measurement,
      outcome: accepted ? 'accepted' : 'pending',
      approvals: [{ approverId: approval.approverId, expiresAt: approval.expiresAt, signature: approval.signature }],
      approvedBy: tally.counted,
      policyVersion: policy.doc.version,
      policyHash: policy.hash,
    });
  });
  return { measurement, status: accepted ? 'accepted' : 'pending', required: tally.required, approvedBy: tally.counted, firmwareApproved: firmwareStatus(dev).approved };
}
