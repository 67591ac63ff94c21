// key.generate (protocol/commands/key-generate.ts): a secp256k1 key pair generated inside the token (sensitive; it leaves the token only
// wrapped under the SO's trusted key at a backup ceremony),
// registered with its group and the policy active at generation, and audited.
import { ApplianceError } from '../../protocol/errors.js';
import type { KeyGenerateArgs, KeyGenerateResult } from '../../protocol/commands/key-generate.js';
import { addressFromPublicKey, toChecksumAddress } from '../../firmware-policy/evm/secp256k1-signature.js';
import { issueKeyAttestationCertificate } from '../../attestation/certificates.js';
import { groupOf } from '../../firmware-policy/policy-document.js';
import type { Device } from '../device.js';
import { assertAdminRequest, type AdminProof } from '../requester-role.js';
import { assertFirmwareApproved, requireIdentity } from '../device.js';
import type { KeyRecord } from '../state/key-registry.js';
import { keyInfo } from '../key-info.js';

export async function keyGenerate(dev: Device, args: KeyGenerateArgs): Promise<KeyGenerateResult> {
  const { requester, label, group } = args;
  // The bridge names the admin asking (refused and audited unless the policy makes it an admin); the
  // local operator on the socket and the ceremony name none.
  const proof: AdminProof | undefined = requester === undefined ? undefined : assertAdminRequest(dev, 'key.generate', 'key.generate', requester, args);
  assertFirmwareApproved(dev);
  const identity = requireIdentity(dev);
  const policy = dev.policies.current();
  if (!groupOf(policy.doc, group)) throw new ApplianceError('bad_request', `key group "${group}" is not in the active policy`, { field: 'group' });

  dev.sealed.guard();
  const generated = await dev.keystore.generateSecp256k1(label);
  const now = dev.clock();
  const address = toChecksumAddress(addressFromPublicKey(generated.publicKey));
  const keyId = `k-${Buffer.from(generated.ckaId).toString('hex')}`;
  const certificate = await issueKeyAttestationCertificate({
    deviceCertPem: identity.deviceCertPem,
    sign: (data) => dev.keystore.signP256(identity.attestationKeyId, data),
    keyPublicKey: generated.publicKey,
    attestation: { keyId, group, policyHash: policy.hash, measurement: dev.measurement, generatedOnDevice: true, nonExtractable: false, wrapWithTrustedOnly: true, deviceId: dev.config.deviceId },
  });
  const record: KeyRecord = {
    keyId,
    ckaId: generated.ckaId,
    label,
    group,
    address,
    publicKey: generated.publicKey,
    createdAt: now,
    policyHash: policy.hash,
    certificate,
  };
  const entry = dev.seal.transaction(() => {
    dev.keys.insert(record);
    return dev.audit.append(now, {
      kind: 'key.generate',
      ...(requester === undefined ? {} : { requester, ...proof }),
      keyId: record.keyId,
      group,
      address,
      publicKey: record.publicKey,
      certificate,
      policyVersion: policy.doc.version,
      policyHash: policy.hash,
    });
  });
  return { ...keyInfo(record), auditSeq: entry.seq };
}
