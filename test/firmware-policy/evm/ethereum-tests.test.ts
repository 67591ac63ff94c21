// ethereum/tests TransactionTests: every file under TransactionTests/*/*.json, judged at the newest
// fork each entry lists. Our verdict = decodeSigned + the checks a signer's decoder owns beyond it:
// sender recovery (noble secp256k1) and "v is valid for the chain" (the fillers run chain id 1).
// Each exception class is mapped explicitly to 'encoding' (we must reject, for a reason matching
// `reason`) or 'consensus' (needs state or consensus rules: we must accept the encoding, and the
// case counts as not applicable). An unmapped class fails the test; nothing is skipped silently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { ApplianceError } from '../../../protocol/errors.js';
import { decodeSigned, serializeSigned, signingDigest, transactionHash } from '../../../firmware-policy/evm/transaction.js';
import { addressFromPublicKey } from '../../../firmware-policy/evm/secp256k1-signature.js';
import { readVectorJson, vectorPath } from '../../helpers/vectors.js';

const FORKS = [
  'Frontier',
  'Homestead',
  'EIP150',
  'EIP158',
  'Byzantium',
  'Constantinople',
  'ConstantinopleFix',
  'Istanbul',
  'Berlin',
  'London',
  'Paris',
  'Shanghai',
  'Cancun',
  'Prague',
  'Osaka',
] as const;

/** The chain id of the network the fillers ran on. */
const NETWORK_CHAIN_ID = 1n;

type Kind = 'encoding' | 'consensus';
interface ExceptionClass {
  kind: Kind;
  /** For 'encoding': our rejection reason must match (keeps a rejection from passing by accident). */
  reason?: RegExp;
  why: string;
}

const P = 'TransactionException.';
const EXCEPTIONS: Record<string, ExceptionClass> = {
  // RLP structure
  [`${P}RLP_ERROR_SIZE`]: { kind: 'encoding', reason: /^rlp: |fields, got/, why: 'lengths and contents disagree' },
  [`${P}RLP_ERROR_EOF`]: { kind: 'encoding', reason: /^rlp: |RLP list/, why: 'truncated input' },
  [`${P}RLP_ERROR_SIZE_LEADING_ZEROS`]: { kind: 'encoding', reason: /^rlp: long-form length has a leading zero/, why: 'list length with leading zeros' },
  [`${P}RLP_LEADING_ZEROS_DATA_SIZE`]: { kind: 'encoding', reason: /^rlp: long-form length has a leading zero/, why: 'string length with leading zeros' },
  [`${P}RLP_LEADING_ZEROS_NONCE_SIZE`]: { kind: 'encoding', reason: /^rlp: single byte below 0x80/, why: 'single byte wrapped as a string' },
  [`${P}RLP_INVALID_HEADER`]: { kind: 'encoding', reason: /must be an RLP list/, why: 'transaction given as a string' },
  [`${P}RLP_TOO_FEW_ELEMENTS`]: { kind: 'encoding', reason: /fields, got/, why: 'field count' },
  [`${P}RLP_TOO_MANY_ELEMENTS`]: { kind: 'encoding', reason: /fields, got/, why: 'field count' },
  [`${P}TYPE_NOT_SUPPORTED`]: { kind: 'encoding', reason: /transaction type \d+ is not supported|must be an RLP list/, why: 'unknown envelope' },
  // field shapes
  [`${P}RLP_INVALID_NONCE`]: { kind: 'encoding', reason: /"nonce" must be a byte string/, why: 'list where an integer belongs' },
  // For the "...GivenAsList" cases the list's own contents are malformed too: we parse the whole
  // RLP structure before reading fields, so those are reported as RLP errors.
  [`${P}RLP_INVALID_GASLIMIT`]: { kind: 'encoding', reason: /"gasLimit" must be a byte string|^rlp: /, why: 'list where an integer belongs' },
  [`${P}RLP_INVALID_TO`]: { kind: 'encoding', reason: /"to" must be a byte string|^rlp: /, why: 'list where an address belongs' },
  [`${P}RLP_INVALID_DATA`]: { kind: 'encoding', reason: /"data" must be a byte string/, why: 'list where data belongs' },
  [`${P}RLP_INVALID_SIGNATURE_R`]: { kind: 'encoding', reason: /"r" must be a byte string|^rlp: /, why: 'list where r belongs' },
  [`${P}RLP_INVALID_SIGNATURE_S`]: { kind: 'encoding', reason: /"s" must be a byte string|^rlp: /, why: 'list where s belongs' },
  [`${P}ADDRESS_TOO_LONG`]: { kind: 'encoding', reason: /"to" must be 20 bytes/, why: 'address length' },
  [`${P}ADDRESS_TOO_SHORT`]: { kind: 'encoding', reason: /"to" must be 20 bytes/, why: 'address length' },
  [`${P}RLP_INVALID_ACCESS_LIST_ADDRESS_TOO_LONG`]: { kind: 'encoding', reason: /"accessList\[\d+\]\.address" must be 20 bytes/, why: 'access-list address length' },
  [`${P}RLP_INVALID_ACCESS_LIST_ADDRESS_TOO_SHORT`]: { kind: 'encoding', reason: /"accessList\[\d+\]\.address" must be 20 bytes/, why: 'access-list address length' },
  [`${P}RLP_INVALID_ACCESS_LIST_STORAGE_TOO_LONG`]: { kind: 'encoding', reason: /"accessList\[\d+\]\.storageKeys\[\d+\]" must be 32 bytes/, why: 'storage key length' },
  [`${P}RLP_INVALID_ACCESS_LIST_STORAGE_TOO_SHORT`]: { kind: 'encoding', reason: /"accessList\[\d+\]\.storageKeys\[\d+\]" must be 32 bytes/, why: 'storage key length' },
  // minimal integers
  [`${P}RLP_LEADING_ZEROS_NONCE`]: { kind: 'encoding', reason: /"nonce" has a leading zero byte/, why: 'non-minimal integer' },
  [`${P}RLP_LEADING_ZEROS_GASPRICE`]: { kind: 'encoding', reason: /"gasPrice" has a leading zero byte/, why: 'non-minimal integer' },
  [`${P}RLP_LEADING_ZEROS_GASLIMIT`]: { kind: 'encoding', reason: /"gasLimit" has a leading zero byte/, why: 'non-minimal integer' },
  [`${P}RLP_LEADING_ZEROS_VALUE`]: { kind: 'encoding', reason: /"value" has a leading zero byte/, why: 'non-minimal integer' },
  [`${P}RLP_LEADING_ZEROS_BASEFEE`]: { kind: 'encoding', reason: /"maxFeePerGas" has a leading zero byte/, why: 'non-minimal integer' },
  [`${P}RLP_LEADING_ZEROS_PRIORITY_FEE`]: { kind: 'encoding', reason: /"maxPriorityFeePerGas" has a leading zero byte/, why: 'non-minimal integer' },
  [`${P}RLP_LEADING_ZEROS_V`]: { kind: 'encoding', reason: /"v" has a leading zero byte/, why: 'non-minimal integer' },
  [`${P}RLP_LEADING_ZEROS_R`]: { kind: 'encoding', reason: /"r" has a leading zero byte/, why: 'non-minimal integer' },
  [`${P}RLP_LEADING_ZEROS_S`]: { kind: 'encoding', reason: /"s" has a leading zero byte/, why: 'non-minimal integer' },
  // integer widths
  [`${P}NONCE_OVERFLOW`]: { kind: 'encoding', reason: /"nonce" exceeds/, why: 'nonce ≥ 2^64 (EIP-2681)' },
  [`${P}GASLIMIT_OVERFLOW`]: { kind: 'encoding', reason: /"gasLimit" exceeds/, why: 'gas limit ≥ 2^64' },
  [`${P}GASPRICE_OVERFLOW`]: { kind: 'encoding', reason: /"(gasPrice|maxFeePerGas)" exceeds 256 bits/, why: 'above 2^256-1' },
  [`${P}PRIORITY_OVERFLOW`]: { kind: 'encoding', reason: /"maxPriorityFeePerGas" exceeds 256 bits/, why: 'above 2^256-1' },
  [`${P}VALUE_OVERFLOW`]: { kind: 'encoding', reason: /"value" exceeds 256 bits/, why: 'above 2^256-1' },
  // signature
  [`${P}INVALID_SIGNATURE_VRS`]: { kind: 'encoding', reason: /"(v|r|s)" /, why: 'v, r or s out of range' },
  // geth checks the chain id before the signature values and we check them in the other order, so
  // a v for another chain with a high s (the fillers' template signature) is reported as high s.
  [`${P}INVALID_CHAINID`]: { kind: 'encoding', reason: /"v" |not the network's|"s" is above n\/2/, why: 'v invalid, or valid for another chain' },
  [`${P}EC_RECOVERY_FAIL`]: { kind: 'encoding', reason: /^sender recovery failed/, why: 'no public key recovers' },
  // consensus only: valid encodings a block would still refuse
  [`${P}GASLIMIT_PRICE_PRODUCT_OVERFLOW`]: { kind: 'consensus', why: 'gasLimit × fee overflows 256 bits: a balance check' },
  [`${P}PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS_2`]: { kind: 'consensus', why: 'fee-market rule (EIP-1559 validity), not encoding' },
  [`${P}NONCE_TOO_BIG`]: { kind: 'consensus', why: 'nonce 2^64-1 cannot be incremented (EIP-2681 state rule); encodable' },
};

interface Entry {
  txbytes: string;
  result: Record<string, { hash?: string; sender?: string; exception?: string }>;
}

type Verdict = { ok: true; hash: string; sender: string } | { ok: false; reason: string };

/** Our decoder plus the checks around it that a signer owns. Never throws. */
function judge(bytes: Uint8Array): Verdict {
  let decoded;
  try {
    decoded = decodeSigned(bytes);
  } catch (e) {
    assert.ok(e instanceof ApplianceError && e.code === 'bad_request', `decoder threw a non-ApplianceError: ${String(e)}`);
    return { ok: false, reason: e.message };
  }
  const { tx, signature } = decoded;
  if (tx.chainId !== null && tx.chainId !== NETWORK_CHAIN_ID) {
    return { ok: false, reason: `chainId ${tx.chainId} is not the network's (${NETWORK_CHAIN_ID})` };
  }
  // A decoded transaction re-serialises to exactly its input (one value, one encoding).
  assert.equal(bytesToHex(serializeSigned(tx, signature)), bytesToHex(bytes), 'round trip');
  let publicKey: Uint8Array;
  try {
    publicKey = new secp256k1.Signature(signature.r, signature.s, signature.yParity).recoverPublicKey(signingDigest(tx)).toBytes(false);
  } catch (e) {
    return { ok: false, reason: `sender recovery failed: ${(e as Error).message}` };
  }
  return { ok: true, hash: bytesToHex(transactionHash(bytes)), sender: bytesToHex(addressFromPublicKey(publicKey)) };
}

function newestFork(result: Entry['result'], where: string): string {
  let best = -1;
  for (const fork of Object.keys(result)) {
    const i = (FORKS as readonly string[]).indexOf(fork);
    assert.ok(i >= 0, `${where}: unknown fork ${fork}`);
    best = Math.max(best, i);
  }
  return FORKS[best] as string;
}

interface Tally {
  valid: number;
  rejected: number;
  notApplicable: number;
  byClass: Map<string, number>;
}

/** Observed per folder: [valid matched, invalid matched, not applicable]. A change here is a regression. */
const EXPECTED: Record<string, [number, number, number]> = {
  ttAddress: [1, 3, 0],
  ttEIP1559: [1, 4, 4],
  ttEIP2930: [1, 6, 0],
  ttGasPrice: [2, 2, 0],
  ttNonce: [3, 6, 1],
  ttSignature: [17, 17, 0],
  ttVValue: [4, 24, 0],
  ttValue: [1, 2, 0],
  ttWrongRLP: [0, 59, 0],
};

const strip = (h: string): string => h.replace(/^0x/, '').toLowerCase();

const dirs = readdirSync(vectorPath('ethereum-tests', 'TransactionTests'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

const totals: Tally = { valid: 0, rejected: 0, notApplicable: 0, byClass: new Map() };

for (const dir of dirs) {
  test(`TransactionTests/${dir}`, (t) => {
    const tally: Tally = { valid: 0, rejected: 0, notApplicable: 0, byClass: new Map() };
    const files = readdirSync(vectorPath('ethereum-tests', 'TransactionTests', dir))
      .filter((f) => f.endsWith('.json'))
      .sort();
    for (const file of files) {
      const entries = readVectorJson<Record<string, Entry>>('ethereum-tests', 'TransactionTests', dir, file);
      for (const [name, entry] of Object.entries(entries)) {
        const where = `${dir}/${file}#${name}`;
        const fork = newestFork(entry.result, where);
        const expected = entry.result[fork] as NonNullable<Entry['result'][string]>;
        const bytes = hexToBytes(strip(entry.txbytes));
        const verdict = judge(bytes);
        if (expected.exception === undefined) {
          assert.ok(verdict.ok, `${where} (${fork}): valid, but we rejected: ${verdict.ok ? '' : verdict.reason}`);
          assert.equal(verdict.hash, strip(expected.hash ?? ''), `${where}: hash`);
          assert.equal(verdict.sender, strip(expected.sender ?? ''), `${where}: sender`);
          assert.equal(bytesToHex(keccak_256(bytes)), verdict.hash);
          tally.valid++;
          continue;
        }
        const cls = EXCEPTIONS[expected.exception];
        assert.ok(cls !== undefined, `${where}: exception class ${expected.exception} is not mapped`);
        tally.byClass.set(expected.exception, (tally.byClass.get(expected.exception) ?? 0) + 1);
        if (cls.kind === 'consensus') {
          assert.ok(verdict.ok, `${where}: ${expected.exception} is consensus-only, yet our decoder rejected: ${verdict.ok ? '' : verdict.reason}`);
          tally.notApplicable++;
          continue;
        }
        assert.ok(!verdict.ok, `${where} (${fork}): expected ${expected.exception}, but we accepted`);
        if (cls.reason !== undefined) {
          assert.match(verdict.reason, cls.reason, `${where}: ${expected.exception} rejected for another reason`);
        }
        tally.rejected++;
      }
    }
    const summary = `${dir}: matched ${tally.valid + tally.rejected} (${tally.valid} valid, ${tally.rejected} rejected), not applicable ${tally.notApplicable}`;
    t.diagnostic(summary);
    for (const [cls, n] of [...tally.byClass].sort()) t.diagnostic(`  ${cls.slice(P.length)} (${EXCEPTIONS[cls]?.kind}): ${n}`);
    const want = EXPECTED[dir];
    assert.ok(want !== undefined, `no expected counts for ${dir}; observed ${JSON.stringify([tally.valid, tally.rejected, tally.notApplicable])}`);
    assert.deepEqual([tally.valid, tally.rejected, tally.notApplicable], want, summary);
    totals.valid += tally.valid;
    totals.rejected += tally.rejected;
    totals.notApplicable += tally.notApplicable;
    for (const [cls, n] of tally.byClass) totals.byClass.set(cls, (totals.byClass.get(cls) ?? 0) + n);
  });
}

test('TransactionTests: totals', (t) => {
  assert.deepEqual(dirs, Object.keys(EXPECTED).sort(), 'the set of vector folders changed');
  const matched = totals.valid + totals.rejected;
  t.diagnostic(`total: matched ${matched} (${totals.valid} valid, ${totals.rejected} rejected), not applicable ${totals.notApplicable}`);
  const byKind = { encoding: 0, consensus: 0 };
  for (const [cls, n] of totals.byClass) byKind[(EXCEPTIONS[cls] as ExceptionClass).kind] += n;
  t.diagnostic(`exception classes seen: ${totals.byClass.size} (encoding cases ${byKind.encoding}, consensus cases ${byKind.consensus})`);
  assert.deepEqual([totals.valid, totals.rejected, totals.notApplicable], [30, 123, 5]);
  // every mapped class occurs in the vectors: the table carries no dead entries
  assert.deepEqual([...totals.byClass.keys()].sort(), Object.keys(EXCEPTIONS).sort());
});
