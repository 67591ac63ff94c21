// Signed requests (firmware-policy/request-stamp.ts, issue 12 item 1): a requester with a request key,
// or any requester of a group that requires signed requests, is believed only on its stamp over this
// very request; groups limit what a requester may ask for; the policy document keeps the new fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeCanonical, encodeCanonical, sha256Canonical, type CborMap } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { parsePolicy, policyToCbor, type PolicyDocument } from '../../firmware-policy/policy-document.js';
import { checkAdminRequestStamp, checkRequestStamp, encodeRequestStatement, type AdminRequest, type StampedRequest } from '../../firmware-policy/request-stamp.js';
import { isStrictlyTighter } from '../../firmware-policy/policy-change.js';

const orchSecret = p256.keygen(new Uint8Array(48).fill(7)).secretKey;
const edSecret = new Uint8Array(32).fill(9);
const NOW = 1_800_000_000;

function policy(over: Partial<PolicyDocument> = {}): PolicyDocument {
  const admin = { id: 'admin-1', alg: 'ES256' as const, publicKey: p256.getPublicKey(p256.keygen(new Uint8Array(48).fill(1)).secretKey, false) };
  return {
    version: 1,
    parentHash: null,
    deviceId: 'dev-s',
    defaultHoldSeconds: 0,
    maxApprovalLifetimeSeconds: 3600,
    admins: [admin],
    adminQuorum: 1,
    approvers: [admin],
    requesters: [
      { id: 'orchestrator', alg: 'ES256', publicKey: p256.getPublicKey(orchSecret, false), groups: ['hot'] },
      { id: 'edge', alg: 'EdDSA', publicKey: ed25519.getPublicKey(edSecret) },
      { id: 'legacy' },
    ],
    groups: {
      hot: { chains: [1n], whitelistRequired: false, holdSeconds: null, assets: {} },
      cold: { chains: [1n], whitelistRequired: false, holdSeconds: null, assets: {}, requireSignedRequests: true },
    },
    ...over,
  };
}

const ARGS: CborMap = { keyId: 'k-01', requestId: 'r-1', tx: { nonce: 0, to: new Uint8Array(20).fill(2) } };

function request(over: Partial<StampedRequest> = {}, expiresAt = NOW + 600, signer: 'p256' | 'ed' | 'none' = 'p256'): StampedRequest {
  const base: StampedRequest = { command: 'sign.evm-tx', requester: 'orchestrator', requestId: 'r-1', argsDigest: sha256Canonical(ARGS), keyGroup: 'hot', stamp: undefined, ...over };
  if (signer === 'none') return base;
  const statement = encodeRequestStatement({ deviceId: 'dev-s', command: base.command, requester: base.requester, requestId: base.requestId, argsDigest: base.argsDigest, expiresAt });
  const signature = signer === 'p256' ? p256.sign(sha256(statement), orchSecret, { prehash: false, format: 'der' }) : ed25519.sign(statement, edSecret);
  return { ...base, stamp: { expiresAt, signature } };
}

const codes = (r: { reasons: { code: string }[] }) => r.reasons.map((x) => x.code);

test("a stamp by the requester's key over this request is verified", () => {
  const r = checkRequestStamp(policy(), request(), NOW);
  assert.deepEqual(codes(r), []);
  assert.equal(r.proof, 'verified');
  const ed = checkRequestStamp(policy(), request({ requester: 'edge' }, NOW + 600, 'ed'), NOW);
  assert.deepEqual(codes(ed), []);
  assert.equal(ed.proof, 'verified');
});

test('a requester with a request key cannot be named without its stamp', () => {
  const r = checkRequestStamp(policy(), request({}, NOW + 600, 'none'), NOW);
  assert.deepEqual(codes(r), ['request_unsigned']);
  assert.equal(r.proof, 'named');
});

test('a group that requires signed requests refuses an unsigned one even from a requester without a key', () => {
  assert.deepEqual(codes(checkRequestStamp(policy(), request({ requester: 'legacy', keyGroup: 'cold' }, 0, 'none'), NOW)), ['request_unsigned']);
  const hot = checkRequestStamp(policy(), request({ requester: 'legacy', keyGroup: 'hot' }, 0, 'none'), NOW);
  assert.deepEqual(codes(hot), []);
  assert.equal(hot.proof, 'named');
});

test('a stamp for another request, command, requester or device does not verify', () => {
  const good = request();
  for (const altered of [
    { ...good, requestId: 'r-2' },
    { ...good, command: 'sign.typed-data' },
    { ...good, argsDigest: sha256Canonical({ ...ARGS, keyId: 'k-02' }) },
  ]) {
    assert.deepEqual(codes(checkRequestStamp(policy(), altered, NOW)), ['request_bad_signature']);
  }
  // The bridge re-targets alice's stamp onto the orchestrator's name: the key is the orchestrator's.
  assert.deepEqual(codes(checkRequestStamp(policy(), { ...request({ requester: 'edge' }, NOW + 600, 'ed'), requester: 'orchestrator' }, NOW)), ['request_bad_signature']);
  assert.deepEqual(codes(checkRequestStamp(policy({ deviceId: 'dev-other' }), good, NOW)), ['request_bad_signature']);
});

test("an expired stamp, or one meant to outlive the approval lifetime, is refused on the device's time bounds", () => {
  assert.deepEqual(codes(checkRequestStamp(policy(), request({}, NOW), NOW)), ['request_expired']);
  // Expiry reads the latest plausible now: refused once the device could be past it.
  assert.deepEqual(codes(checkRequestStamp(policy(), request({}, NOW + 100), { earliest: NOW, latest: NOW + 100 })), ['request_expired']);
  assert.deepEqual(codes(checkRequestStamp(policy(), request({}, NOW + 3601), NOW)), ['request_lifetime_too_long']);
  assert.deepEqual(codes(checkRequestStamp(policy(), request({}, NOW + 3600), NOW)), []);
});

test('a requester limited to some groups cannot ask for another; an unknown requester is refused', () => {
  assert.deepEqual(codes(checkRequestStamp(policy(), request({ keyGroup: 'cold' }), NOW)), ['requester_group_not_allowed']);
  assert.deepEqual(codes(checkRequestStamp(policy(), request({ requester: 'mallory' }, 0, 'none'), NOW)), ['unknown_principal']);
  assert.deepEqual(codes(checkRequestStamp(policy(), request({ requester: 'legacy' }), NOW)), ['requester_has_no_key']);
});

test('the policy document keeps request keys, groups and requireSignedRequests, and refuses malformed ones', () => {
  const p = policy();
  const bytes = encodeCanonical(policyToCbor(p));
  const again = parsePolicy(decodeCanonical(bytes));
  assert.deepEqual(encodeCanonical(policyToCbor(again)), bytes);
  assert.equal(again.groups.cold?.requireSignedRequests, true);
  assert.deepEqual(again.requesters?.[0]?.groups, ['hot']);
  const raw = () => decodeCanonical(bytes) as CborMap;
  const bad = (edit: (m: CborMap) => void) => {
    const m = raw();
    edit(m);
    assert.throws(
      () => parsePolicy(m),
      (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request',
    );
  };
  bad((m) => ((m.requesters as CborMap[])[0]!.groups = ['nowhere']));
  bad((m) => ((m.requesters as CborMap[])[0]!.groups = ['hot', 'hot']));
  bad((m) => delete (m.requesters as CborMap[])[0]!.alg);
  bad((m) => (((m.groups as CborMap).hot as CborMap).requireSignedRequests = false));
});

// Commands an admin asks for (checkAdminRequestStamp): the admin's approval key stamps the request.
const adminSecret = p256.keygen(new Uint8Array(48).fill(1)).secretKey;
const admin2Secret = p256.keygen(new Uint8Array(48).fill(2)).secretKey;
const PROPOSE: CborMap = { requester: 'admin-1', group: 'hot', chainId: 1, address: new Uint8Array(20).fill(3), requestId: 'wp-req-1' };

function adminPolicy(over: Partial<PolicyDocument> = {}): PolicyDocument {
  const base = policy();
  return { ...base, admins: [...base.admins, { id: 'admin-2', alg: 'ES256', publicKey: p256.getPublicKey(admin2Secret, false) }], requireSignedProposals: true, ...over };
}

function adminRequest(over: Partial<AdminRequest> = {}, expiresAt = NOW + 600, secret: Uint8Array | null = adminSecret): AdminRequest {
  const base: AdminRequest = { command: 'whitelist.propose', requester: 'admin-1', requestId: 'wp-req-1', argsDigest: sha256Canonical(PROPOSE), stamp: undefined, ...over };
  if (secret === null) return base;
  const statement = encodeRequestStatement({ deviceId: 'dev-s', command: base.command, requester: base.requester, requestId: base.requestId ?? '', argsDigest: base.argsDigest, expiresAt });
  return { ...base, stamp: { expiresAt, signature: p256.sign(sha256(statement), secret, { prehash: false, format: 'der' }) } };
}

test("an admin's stamp by its approval key over the request it names is verified", () => {
  const r = checkAdminRequestStamp(adminPolicy(), adminRequest(), NOW);
  assert.deepEqual(codes(r), []);
  assert.equal(r.proof, 'verified');
});

test('under requireSignedProposals an unsigned admin request is refused; without it, it passes on the name', () => {
  assert.deepEqual(codes(checkAdminRequestStamp(adminPolicy(), adminRequest({}, 0, null), NOW)), ['request_unsigned']);
  assert.deepEqual(codes(checkAdminRequestStamp(adminPolicy(), adminRequest({ requestId: undefined }, 0, null), NOW)), ['request_unsigned']);
  const named = checkAdminRequestStamp(adminPolicy({ requireSignedProposals: undefined }), adminRequest({}, 0, null), NOW);
  assert.deepEqual(codes(named), []);
  assert.equal(named.proof, 'named');
  // A wrong stamp is refused even where none is required.
  assert.deepEqual(codes(checkAdminRequestStamp(adminPolicy({ requireSignedProposals: undefined }), adminRequest({}, NOW + 600, admin2Secret), NOW)), ['request_bad_signature']);
});

test('a forged, altered or re-targeted admin stamp does not verify; a non-admin is refused on its role', () => {
  const good = adminRequest();
  for (const altered of [
    adminRequest({}, NOW + 600, p256.keygen().secretKey),
    { ...good, requestId: 'wp-req-2' },
    { ...good, command: 'policy.propose' },
    { ...good, argsDigest: sha256Canonical({ ...PROPOSE, address: new Uint8Array(20).fill(4) }) },
    // admin-1's stamp under admin-2's name: admin-2's key does not verify it.
    { ...good, requester: 'admin-2' },
  ]) {
    assert.deepEqual(codes(checkAdminRequestStamp(adminPolicy(), altered, NOW)), ['request_bad_signature']);
  }
  assert.deepEqual(codes(checkAdminRequestStamp(adminPolicy(), adminRequest({}, NOW), NOW)), ['request_expired']);
  assert.deepEqual(codes(checkAdminRequestStamp(adminPolicy(), adminRequest({}, NOW + 3601), NOW)), ['request_lifetime_too_long']);
  assert.deepEqual(codes(checkAdminRequestStamp(adminPolicy(), adminRequest({ requester: 'orchestrator' }), NOW)), ['requester_not_allowed']);
  assert.deepEqual(codes(checkAdminRequestStamp(adminPolicy(), adminRequest({ requester: 'mallory' }), NOW)), ['unknown_principal']);
});

test('requireSignedProposals is kept by the document, true or absent, and turning it on is stricter', () => {
  const bytes = encodeCanonical(policyToCbor(adminPolicy()));
  assert.equal(parsePolicy(decodeCanonical(bytes)).requireSignedProposals, true);
  const m = decodeCanonical(bytes) as CborMap;
  m.requireSignedProposals = false;
  assert.throws(
    () => parsePolicy(m),
    (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request',
  );
  const off = adminPolicy({ requireSignedProposals: undefined });
  assert.equal(isStrictlyTighter(off, adminPolicy()), true);
  assert.equal(isStrictlyTighter(adminPolicy(), off), false);
});
