// Passkey approvers in the policy document (firmware-policy/policy-document.ts) and its diff
// (policy-change.ts): the WebAuthn form round-trips through canonical CBOR and the operator's JSON
// (host-bridge/policy-json.ts), each field is checked at parse (COSE key, credential id, RP ID,
// origins), admins cannot be passkeys, and the diff of a change shows an added or re-keyed credential.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { p256 } from '@noble/curves/nist.js';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { encodePolicy, parsePolicy, policyToCbor, DEFAULT_HOLD_SECONDS, type PolicyDocument } from '../../firmware-policy/policy-document.js';
import { diffPolicies, isStrictlyTighter } from '../../firmware-policy/policy-change.js';
import { policyFromJson, type PolicyJson } from '../../host-bridge/policy-json.js';
import { softwarePasskey } from '../helpers/software-passkey.js';

const adminPk = p256.getPublicKey(p256.keygen(new Uint8Array(48).fill(3)).secretKey, false);
const hex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');
const carol = softwarePasskey('carol', 9);
const dave = softwarePasskey('dave', 11, 'approve.example.com', ['https://approve.example.com', 'https://backup.example.com']);

function doc(approvers = [carol.principal]): PolicyDocument {
  return {
    version: 1,
    parentHash: null,
    deviceId: 'dev-1',
    defaultHoldSeconds: DEFAULT_HOLD_SECONDS,
    admins: [{ id: 'admin', alg: 'ES256', publicKey: adminPk }],
    adminQuorum: 1,
    approvers,
    groups: {},
  };
}

const reparsed = (d: PolicyDocument) => parsePolicy(decodeCanonical(encodePolicy(d)));

test('a WebAuthn approver round-trips through canonical CBOR, field for field', () => {
  const d = doc([carol.principal, dave.principal]);
  const back = reparsed(d);
  assert.deepEqual(back.approvers, d.approvers);
  assert.deepEqual(encodePolicy(back), encodePolicy(d));
  const m = policyToCbor(d).approvers as CborMap[];
  assert.deepEqual(Object.keys(m[0]!).sort(), ['alg', 'credentialId', 'id', 'origins', 'publicKey', 'rpId']);
});

test('the policy JSON form gives the same document', () => {
  const j: PolicyJson = {
    adminQuorum: 1,
    admins: [{ id: 'admin', alg: 'ES256', publicKey: hex(adminPk) }],
    approvers: [carol.json, { id: 'alice', alg: 'ES256', publicKey: hex(adminPk) }],
    groups: {},
  };
  const fromJson = policyFromJson(j, 'dev-1');
  assert.deepEqual(fromJson.approvers[0], carol.principal);
  assert.equal(fromJson.approvers[1]!.alg, 'ES256');
});

const refused = (mutate: (approver: CborMap) => void, match: RegExp, where: 'approvers' | 'admins' = 'approvers') => {
  const m = policyToCbor(doc()) as CborMap;
  const a = { ...(policyToCbor(doc()).approvers as CborMap[])[0]! };
  mutate(a);
  if (where === 'admins') m.admins = [a];
  else m.approvers = [a];
  assert.throws(
    () => parsePolicy(m),
    (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request' && match.test(e.message),
  );
};

test('each WebAuthn field is checked at parse', () => {
  refused((a) => (a.publicKey = adminPk), /publicKey.*COSE_Key/);
  refused((a) => (a.publicKey = encodeCanonical(new Map<number, number>([[1, 2]]))), /publicKey/);
  refused((a) => (a.credentialId = new Uint8Array(0)), /credentialId/);
  refused((a) => (a.credentialId = new Uint8Array(1024)), /credentialId/);
  refused((a) => delete a.credentialId, /credentialId/);
  refused((a) => (a.rpId = ''), /rpId/);
  refused((a) => (a.origins = []), /origins/);
  refused((a) => (a.origins = Array.from({ length: 17 }, (_, i) => `https://o${i}.example`)), /origins/);
  refused((a) => (a.origins = ['https://a.example', 'https://a.example']), /duplicate/);
  refused((a) => (a.extra = 1), /extra.*not a known field/);
  // A key-file approver keeps its three fields only.
  refused((a) => {
    a.alg = 'ES256';
    a.publicKey = adminPk;
  }, /credentialId.*not a known field/);
});

test('an admin cannot be a passkey', () => {
  refused(() => {}, /admins\[0\]\.alg.*not an admin/, 'admins');
});

test('two approvers with one credential id are refused', () => {
  const twin = { ...dave.principal, credentialId: carol.credentialId };
  assert.throws(() => reparsed(doc([carol.principal, twin])), /credential of another approver/);
});

test('the diff of a policy change shows an added passkey approver and a changed credential', () => {
  const before = doc([]);
  const added = diffPolicies(before, doc([carol.principal]));
  const row = added.find((c) => c.path.startsWith('approvers'));
  assert.ok(row, 'the new approver is listed');
  assert.equal(row.kind, 'added');
  assert.equal(row.stricter, false);
  assert.match(String(row.after), /WebAuthn credential [0-9a-f]+/);
  assert.match(String(row.after), /rpId localhost origins http:\/\/localhost:8787/);

  const rekeyed = { ...carol.principal, credentialId: dave.credentialId, publicKey: dave.coseKey, rpId: 'approve.example.com', origins: dave.origins };
  const changes = diffPolicies(doc([carol.principal]), doc([rekeyed]));
  const paths = changes.map((c) => c.path).sort();
  assert.deepEqual(paths, ['approvers[id=carol].credentialId', 'approvers[id=carol].origins', 'approvers[id=carol].publicKey', 'approvers[id=carol].rpId']);
  assert.ok(changes.every((c) => !c.stricter));
  assert.equal(isStrictlyTighter(doc([carol.principal]), doc([rekeyed])), false);

  // Dropping one of two origins accepts fewer assertions: stricter.
  const fewer = diffPolicies(doc([dave.principal]), doc([{ ...dave.principal, origins: [dave.origins[0]!] }]));
  assert.equal(fewer.length, 1);
  assert.equal(fewer[0]!.stricter, true);
});
