// Passkey (WebAuthn) approvers in the approval tally (firmware-policy/approvals/tally.ts via
// rules/approval-tier.ts): an assertion over SHA-256 of the approval statement counts and returns the
// credential's new signature counter; one over another request's statement, from an origin the
// policy does not list, without user verification, or with a counter that did not move is rejected
// with the verifier's reason. Assertions come from a software passkey (test/helpers/software-passkey.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { tallyApprovals } from '../../../firmware-policy/rules/approval-tier.js';
import { encodeApprovalStatement, type Approval } from '../../../firmware-policy/approvals/statement.js';
import { tallySignedApprovals } from '../../../firmware-policy/approvals/tally.js';
import { DEFAULT_HOLD_SECONDS, type PolicyDocument } from '../../../firmware-policy/policy-document.js';
import { encodeCanonical } from '../../../protocol/cbor.js';
import { softwarePasskey } from '../../helpers/software-passkey.js';

const NOW = 1_700_000_000;
const DEVICE = 'dev-passkey';
const DIGEST = sha256(new TextEncoder().encode('intent A'));
const OTHER_DIGEST = sha256(new TextEncoder().encode('intent B'));
const carol = softwarePasskey('carol', 9);
const { secretKey: aliceSk } = p256.keygen(new Uint8Array(48).fill(1));
const alicePk = p256.getPublicKey(aliceSk, false);

const policy: PolicyDocument = {
  version: 1,
  parentHash: null,
  deviceId: DEVICE,
  defaultHoldSeconds: DEFAULT_HOLD_SECONDS,
  admins: [{ id: 'admin', alg: 'ES256', publicKey: alicePk }],
  adminQuorum: 1,
  approvers: [{ id: 'alice', alg: 'ES256', publicKey: alicePk }, carol.principal],
  groups: {},
};

const statement = (approverId: string, expiresAt: number, digest = DIGEST) => encodeApprovalStatement({ deviceId: DEVICE, intentDigest: digest, approverId, expiresAt });
const now = { earliest: NOW, latest: NOW };
const EXP = NOW + 600;

/** A view holding `stored` as carol's credential counter. */
const viewWith = (stored: number | undefined) => ({
  webauthnCounter: (id: Uint8Array) => (Buffer.from(id).equals(Buffer.from(carol.credentialId)) ? stored : undefined),
});

const tally = (approvals: Approval[], stored?: number, required = 2) => tallyApprovals(policy, required, DIGEST, 'orchestrator', approvals, now, viewWith(stored));

const aliceApproval = (): Approval => ({ approverId: 'alice', expiresAt: EXP, signature: p256.sign(statement('alice', EXP), aliceSk, { prehash: true, format: 'der' }) });

test('a passkey assertion over SHA-256 of the statement counts beside a key-file approval, and returns the new counter', () => {
  const t = tally([aliceApproval(), { approverId: 'carol', expiresAt: EXP, signature: carol.assert(statement('carol', EXP), { counter: 5 }) }], 4);
  assert.deepEqual(t.counted, ['alice', 'carol']);
  assert.deepEqual(t.rejected, []);
  assert.deepEqual(t.counters, [{ approverId: 'carol', credentialId: carol.credentialId, counter: 5 }]);
});

test('no stored counter reads as 0; a key-file-only tally carries no counters', () => {
  const t = tally([{ approverId: 'carol', expiresAt: EXP, signature: carol.assert(statement('carol', EXP), { counter: 1 }) }], undefined, 1);
  assert.deepEqual(t.counted, ['carol']);
  assert.equal(tally([aliceApproval()], undefined, 1).counters, undefined);
});

const rejectedAs = (signature: Uint8Array, stored: number | undefined, why: string, webauthn: string) => {
  const t = tally([{ approverId: 'carol', expiresAt: EXP, signature }], stored, 1);
  assert.deepEqual(t.counted, []);
  assert.deepEqual(t.rejected, [{ approverId: 'carol', why, webauthn }]);
  assert.equal(t.counters, undefined);
};

test("an assertion over another request's statement, or another expiry, is rejected (challenge_mismatch)", () => {
  rejectedAs(carol.assert(statement('carol', EXP, OTHER_DIGEST), { counter: 10 }), 0, 'bad_signature', 'challenge_mismatch');
  rejectedAs(carol.assert(statement('carol', EXP + 1), { counter: 11 }), 0, 'bad_signature', 'challenge_mismatch');
  rejectedAs(carol.assert(statement('alice', EXP), { counter: 12 }), 0, 'bad_signature', 'challenge_mismatch');
});

test('an origin the policy does not list is rejected (origin_not_allowed)', () => {
  rejectedAs(carol.assert(statement('carol', EXP), { counter: 20, origin: 'http://localhost:8788' }), 0, 'bad_signature', 'origin_not_allowed');
});

test('an assertion without user verification (UV off) is rejected (user_not_verified)', () => {
  rejectedAs(carol.assert(statement('carol', EXP), { counter: 21, flags: 0x01 }), 0, 'bad_signature', 'user_not_verified');
});

test('a counter that did not move past the stored one is rejected as counter_replayed', () => {
  const sig = carol.assert(statement('carol', EXP), { counter: 30 });
  rejectedAs(sig, 30, 'counter_replayed', 'counter_replayed');
  rejectedAs(sig, 31, 'counter_replayed', 'counter_replayed');
  assert.deepEqual(tally([{ approverId: 'carol', expiresAt: EXP, signature: sig }], 29, 1).counted, ['carol']);
});

test('a key-file signature under a passkey approver, or a malformed assertion map, is rejected', () => {
  rejectedAs(p256.sign(statement('carol', EXP), aliceSk, { prehash: true, format: 'der' }), 0, 'bad_signature', 'signature_malformed');
  const f = carol.assertFields(statement('carol', EXP), { counter: 40 });
  rejectedAs(encodeCanonical({ authenticatorData: f.authenticatorData, clientDataJSON: f.clientDataJSON }), 0, 'bad_signature', 'signature_malformed');
  rejectedAs(encodeCanonical({ ...f, extra: 1 }), 0, 'bad_signature', 'signature_malformed');
  // Another key signing the same data: the policy's key is the one that must verify.
  const other = softwarePasskey('carol', 10);
  rejectedAs(other.assert(statement('carol', EXP), { counter: 41 }), 0, 'bad_signature', 'signature_invalid');
});

test('a passkey approval does not count in a tally that keeps no counters (admin quorums)', () => {
  const t = tallySignedApprovals({ principals: [carol.principal], required: 1, requester: 'x', now, maxLifetimeSeconds: 3600, statementFor: (id, exp) => statement(id, exp) }, [
    { approverId: 'carol', expiresAt: EXP, signature: carol.assert(statement('carol', EXP), { counter: 50 }) },
  ]);
  assert.deepEqual(t.counted, []);
  assert.equal(t.rejected[0]?.why, 'bad_signature');
});
