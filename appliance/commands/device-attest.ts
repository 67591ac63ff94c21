// device.attest (protocol/commands/device-attest.ts): a quote signed by the device attestation key over
// the caller's challenge, the measurement (and whether it is approved), the active policy hash, the
// log head and the device's time.
import { encodeCanonical } from '../../protocol/cbor.js';
import type { DeviceAttestArgs, DeviceAttestResult } from '../../protocol/commands/device-attest.js';
import { COSE_ALG_ES256, signCoseSign1 } from '../../attestation/cose-sign1.js';
import type { Device } from '../device.js';
import { firmwareStatus, requireIdentity } from '../device.js';

export async function deviceAttest(dev: Device, { challenge }: DeviceAttestArgs): Promise<DeviceAttestResult> {
  const id = requireIdentity(dev);
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
