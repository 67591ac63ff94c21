// The device side of `hsmctl ceremony init`: checks that the first policy carries its own admin
// quorum's signatures, creates the attestation identity, activates the policy, and records the whole
// ceremony (who was enrolled, what was signed, who witnessed) as the device's FIRST audit entry,
// `ceremony.init`, signed by the device key. That entry is the ceremony transcript.
import { decodeCanonical, type CborMap } from '../../protocol/cbor.js';
import { parsePolicy } from '../../firmware-policy/policy-document.js';
import type { Approval } from '../../firmware-policy/approvals/statement.js';
import type { ManufacturerCa } from '../../attestation/certificates.js';
import type { Device } from '../device.js';
import { checkFirstPolicy } from '../first-policy.js';
import { countedApprovals } from '../admin-quorum.js';
import { commitIdentity, prepareIdentity } from '../identity.js';
import type { StoredEntry } from '../state/audit-log.js';

export interface CeremonyInitInput {
  /** Canonical CBOR of the first policy (names this device, no parent). */
  document: Uint8Array;
  /** The admins' signatures over the policy-init statement. */
  approvals: Approval[];
  /** What the ceremony records beside the policy: roles, witness, plan hash, token facts. No secrets. */
  record: CborMap;
}

export async function ceremonyInit(dev: Device, ca: ManufacturerCa, input: CeremonyInitInput): Promise<{ entry: StoredEntry; deviceCertPem: string; policyHash: Uint8Array }> {
  const doc = parsePolicy(decodeCanonical(input.document));
  // Check before anything is generated: a ceremony without its quorum leaves no identity behind.
  const { hash, counted } = checkFirstPolicy(dev, doc, input.approvals, dev.time());
  const prepared = await prepareIdentity(dev, ca);
  const signatures = countedApprovals(input.approvals, counted);
  const entry = commitIdentity(
    dev,
    prepared,
    'ceremony.init',
    {
      ceremony: input.record,
      admins: doc.admins.map((a) => ({ id: a.id, alg: a.alg, publicKey: a.publicKey })),
      adminQuorum: doc.adminQuorum,
      approvers: doc.approvers.map((a) => ({ id: a.id, alg: a.alg, publicKey: a.publicKey })),
      policyVersion: doc.version,
      policyHash: hash,
      document: input.document,
      approvals: signatures,
    },
    (now) => {
      dev.policies.activate(doc, now);
    },
  );
  return { entry, deviceCertPem: prepared.deviceCertPem, policyHash: hash };
}
