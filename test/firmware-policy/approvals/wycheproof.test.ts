// Wycheproof (C2SP/wycheproof, testvectors_v1) signature-verification vectors for the approval
// verifier: ECDSA P-256/SHA-256 in DER and in IEEE P1363, and Ed25519 (RFC 8032).
// Every `valid` must verify, every `invalid` must not, no call may throw, and the number of cases
// of each result is pinned so that a truncated or swapped vector file fails the suite.
//
// `acceptable` cases: Wycheproof uses it for inputs a careful implementation MAY accept (for
// example BER-encoded ECDSA signatures). Our verifier decides such approvals once and for all, so
// we take the strict side per flag (table below), and an acceptable case with a flag the table
// does not know fails the test, forcing a decision. The pinned vector files contain no acceptable
// case at all (counts asserted as 0).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hexToBytes } from '@noble/hashes/utils.js';
import { readVectorJson } from '../../helpers/vectors.js';
import { verifyEd25519, verifyP256, type EcdsaEncoding } from '../../../protocol/signature-verify.js';

type WycheproofResult = 'valid' | 'invalid' | 'acceptable';

interface WycheproofTest {
  tcId: number;
  comment: string;
  flags: string[];
  msg: string;
  sig: string;
  result: WycheproofResult;
}

interface WycheproofFile<G> {
  algorithm: string;
  numberOfTests: number;
  testGroups: (G & { tests: WycheproofTest[] })[];
}

interface EcdsaGroup {
  publicKey: { curve: string; uncompressed: string; wx: string; wy: string };
  sha: string;
}

interface EddsaGroup {
  publicKey: { curve: string; pk: string };
}

/** For an `acceptable` case: whether we accept it, per flag. Strict everywhere. */
const ACCEPTABLE_POLICY: Record<string, { accept: boolean; why: string }> = {
  BerEncodedSignature: { accept: false, why: 'strict DER only: one signature, one encoding' },
  MissingZero: { accept: false, why: 'a DER INTEGER with its sign bit set is negative, not r or s' },
  InvalidEncoding: { accept: false, why: 'non-canonical encodings are not approvals' },
  SignatureMalleability: { accept: false, why: 'Ed25519 S must be < L (RFC 8032 §5.1.7)' },
};

/** Expected verifier answer for one vector; throws on an `acceptable` case without a decision. */
function expected(t: WycheproofTest): boolean {
  if (t.result === 'valid') return true;
  if (t.result === 'invalid') return false;
  const decisions = t.flags.map((f) => {
    const d = ACCEPTABLE_POLICY[f];
    if (d === undefined) throw new Error(`tcId ${t.tcId}: acceptable with undecided flag ${f}`);
    return d.accept;
  });
  // Accept only if every flag says accept.
  return decisions.length > 0 && decisions.every(Boolean);
}

interface Tally {
  valid: number;
  invalid: number;
  acceptable: number;
  acceptableAccepted: number;
  threw: number;
  failures: string[];
}

function newTally(): Tally {
  return { valid: 0, invalid: 0, acceptable: 0, acceptableAccepted: 0, threw: 0, failures: [] };
}

function runCase(tally: Tally, t: WycheproofTest, verify: () => boolean, label = ''): void {
  let got: boolean;
  try {
    got = verify();
  } catch (e) {
    tally.threw++;
    tally.failures.push(`tcId ${t.tcId}${label}: threw ${String(e)}`);
    return;
  }
  const want = expected(t);
  if (got !== want) {
    tally.failures.push(`tcId ${t.tcId}${label} (${t.result}, ${t.flags.join(',')}): got ${got}, want ${want}`);
  }
  if (label === '') {
    tally[t.result]++;
    if (t.result === 'acceptable' && got) tally.acceptableAccepted++;
  }
}

/** SEC 1 §2.3.3 compressed form from the uncompressed 04 || x || y. */
function compress(uncompressed: Uint8Array): Uint8Array {
  const out = new Uint8Array(33);
  out[0] = (uncompressed[64]! & 1) === 1 ? 0x03 : 0x02;
  out.set(uncompressed.subarray(1, 33), 1);
  return out;
}

function runEcdsaFile(file: string, encoding: EcdsaEncoding): Tally {
  const data = readVectorJson<WycheproofFile<EcdsaGroup>>('wycheproof', file);
  const tally = newTally();
  let total = 0;
  for (const group of data.testGroups) {
    assert.equal(group.publicKey.curve, 'secp256r1');
    assert.equal(group.sha, 'SHA-256');
    const key = hexToBytes(group.publicKey.uncompressed);
    const compressed = compress(key);
    for (const t of group.tests) {
      total++;
      const msg = hexToBytes(t.msg);
      const sig = hexToBytes(t.sig);
      runCase(tally, t, () => verifyP256(key, msg, sig, encoding));
      // The same key in compressed SEC 1 form must give the same answer.
      runCase(tally, t, () => verifyP256(compressed, msg, sig, encoding), ' [compressed key]');
    }
  }
  assert.equal(total, data.numberOfTests, `${file}: numberOfTests`);
  return tally;
}

function runEddsaFile(file: string): Tally {
  const data = readVectorJson<WycheproofFile<EddsaGroup>>('wycheproof', file);
  const tally = newTally();
  let total = 0;
  for (const group of data.testGroups) {
    assert.equal(group.publicKey.curve, 'edwards25519');
    const key = hexToBytes(group.publicKey.pk);
    for (const t of group.tests) {
      total++;
      const msg = hexToBytes(t.msg);
      const sig = hexToBytes(t.sig);
      runCase(tally, t, () => verifyEd25519(key, msg, sig));
    }
  }
  assert.equal(total, data.numberOfTests, `${file}: numberOfTests`);
  return tally;
}

function check(t: { diagnostic(message: string): void }, file: string, tally: Tally, counts: { valid: number; invalid: number; acceptable: number }): void {
  t.diagnostic(
    `${file}: valid ${tally.valid}, invalid ${tally.invalid}, acceptable ${tally.acceptable} ` + `(accepted ${tally.acceptableAccepted}), threw ${tally.threw}, mismatches ${tally.failures.length}`,
  );
  assert.equal(tally.threw, 0, `no vector may throw:\n${tally.failures.join('\n')}`);
  assert.deepEqual(tally.failures, [], `${file}: mismatches`);
  assert.deepEqual({ valid: tally.valid, invalid: tally.invalid, acceptable: tally.acceptable }, counts, `${file}: pinned result counts`);
}

test('wycheproof ecdsa_secp256r1_sha256_test.json (DER): valid accepted, invalid rejected', (t) => {
  const file = 'ecdsa_secp256r1_sha256_test.json';
  check(t, file, runEcdsaFile(file, 'der'), { valid: 174, invalid: 310, acceptable: 0 });
});

test('wycheproof ecdsa_secp256r1_sha256_p1363_test.json (P1363): valid accepted, invalid rejected', (t) => {
  const file = 'ecdsa_secp256r1_sha256_p1363_test.json';
  check(t, file, runEcdsaFile(file, 'p1363'), { valid: 173, invalid: 89, acceptable: 0 });
});

test('wycheproof ed25519_test.json: valid accepted, invalid rejected', (t) => {
  const file = 'ed25519_test.json';
  check(t, file, runEddsaFile(file), { valid: 88, invalid: 63, acceptable: 0 });
});

test('wycheproof: the DER vectors fail when read as P1363 and vice versa', () => {
  // A cross-check that the encoding switch is honoured, not ignored.
  const der = readVectorJson<WycheproofFile<EcdsaGroup>>('wycheproof', 'ecdsa_secp256r1_sha256_test.json');
  const p1363 = readVectorJson<WycheproofFile<EcdsaGroup>>('wycheproof', 'ecdsa_secp256r1_sha256_p1363_test.json');
  for (const [data, wrong] of [
    [der, 'p1363'],
    [p1363, 'der'],
  ] as const) {
    for (const group of data.testGroups) {
      const key = hexToBytes(group.publicKey.uncompressed);
      for (const t of group.tests) {
        if (t.result !== 'valid') continue;
        assert.equal(verifyP256(key, hexToBytes(t.msg), hexToBytes(t.sig), wrong), false, `tcId ${t.tcId}`);
      }
    }
  }
});
