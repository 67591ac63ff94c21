// RFC 8949 Appendix A examples against the deterministic codec (protocol/cbor.ts, RFC 8949 §4.2.1).
// Every example is either in our data model (must decode, and re-encode to the very same bytes), outside
// it (floats, undefined, simple values, tags other than 2/3: refused with a typed error), or not
// deterministic (`roundtrip: false`: refused). The counts are pinned so a regression shows up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCanonical, encodeCanonical, type CborValue } from '../../protocol/cbor.js';
import { ApplianceError, type ErrorCode } from '../../protocol/errors.js';
import { readVectorJson } from '../helpers/vectors.js';

interface Vector {
  cbor: string;
  hex: string;
  roundtrip: boolean;
  decoded?: unknown;
  diagnostic?: string;
}

const vectors = readVectorJson<Vector[]>('cbor', 'rfc8949-appendix-a.json');

/** Outside the data model, judged from the item's first byte (the vectors nest none of these). */
function outsideModel(hex: string): string | null {
  const ib = parseInt(hex.slice(0, 2), 16);
  if (ib === 0xf9 || ib === 0xfa || ib === 0xfb) return 'float';
  if (ib === 0xf7) return 'undefined';
  if (ib >= 0xe0 && ib !== 0xf4 && ib !== 0xf5 && ib !== 0xf6) return 'simple';
  if (ib >= 0xc0 && ib < 0xe0 && ib !== 0xc2 && ib !== 0xc3) return 'tag';
  return null;
}

/** Expected values for in-model examples that only carry a diagnostic. */
const fromDiagnostic: Record<string, CborValue> = {
  "h''": new Uint8Array(0),
  "h'01020304'": Uint8Array.from([1, 2, 3, 4]),
  '{1: 2, 3: 4}': new Map<CborValue, CborValue>([
    [1, 2],
    [3, 4],
  ]),
};

/**
 * Compare a decoded value with the vector's JSON value. JSON numbers above 2^53 lost precision when the
 * vector file was parsed, so a bigint is compared through Number(); exactness comes from the byte check.
 */
function sameAsJson(actual: CborValue, expected: unknown): boolean {
  if (typeof actual === 'bigint') return typeof expected === 'number' && Number(actual) === expected;
  if (typeof actual === 'number') return Number.isSafeInteger(expected) && actual === expected;
  if (actual === null || typeof actual !== 'object') return actual === expected;
  if (Array.isArray(actual)) {
    return Array.isArray(expected) && actual.length === expected.length && actual.every((v, i) => sameAsJson(v, expected[i] as unknown));
  }
  if (actual instanceof Uint8Array || actual instanceof Map) return false;
  if (typeof expected !== 'object' || expected === null || Array.isArray(expected)) return false;
  const ak = Object.keys(actual);
  const ek = Object.keys(expected);
  return ak.length === ek.length && ak.every((k) => Object.hasOwn(expected, k) && sameAsJson(actual[k]!, (expected as Record<string, unknown>)[k]));
}

function rejection(bytes: Uint8Array): ErrorCode {
  try {
    decodeCanonical(bytes);
  } catch (e) {
    assert.ok(e instanceof ApplianceError, `expected ApplianceError, got ${String(e)}`);
    return e.code;
  }
  assert.fail('expected decodeCanonical to refuse the input');
}

test('RFC 8949 Appendix A vectors', (t) => {
  const counts = {
    total: vectors.length,
    roundtripped: 0,
    checkedAgainstJson: 0,
    checkedAgainstDiagnostic: 0,
    outsideModel: { float: 0, undefined: 0, simple: 0, tag: 0 } as Record<string, number>,
    notDeterministic: { non_canonical: 0, bad_request: 0 } as Record<string, number>,
  };
  for (const v of vectors) {
    const bytes = Uint8Array.from(Buffer.from(v.hex, 'hex'));
    assert.deepEqual(Buffer.from(v.cbor, 'base64'), Buffer.from(bytes), `${v.hex}: cbor and hex fields agree`);
    const label = `${v.hex} (${v.diagnostic ?? JSON.stringify(v.decoded)})`;
    if (!v.roundtrip) {
      const code = rejection(bytes);
      counts.notDeterministic[code] = (counts.notDeterministic[code] ?? 0) + 1;
      continue;
    }
    const kind = outsideModel(v.hex);
    if (kind !== null) {
      assert.equal(rejection(bytes), 'bad_request', `${label}: ${kind} is refused as bad_request`);
      counts.outsideModel[kind]! += 1;
      continue;
    }
    const decoded = decodeCanonical(bytes);
    assert.deepEqual(Buffer.from(encodeCanonical(decoded)), Buffer.from(bytes), `${label}: re-encodes identically`);
    if ('decoded' in v) {
      assert.ok(sameAsJson(decoded, v.decoded), `${label}: decoded value matches`);
      counts.checkedAgainstJson++;
    } else {
      const expected = fromDiagnostic[v.diagnostic ?? ''];
      assert.ok(expected !== undefined, `${label}: an expected value is known`);
      assert.deepStrictEqual(decoded, expected, `${label}: decoded value matches`);
      counts.checkedAgainstDiagnostic++;
    }
    counts.roundtripped++;
  }

  // Pinned counts: observed once, hard-asserted so that any change in behaviour is caught.
  assert.equal(counts.total, 82);
  assert.equal(counts.roundtripped, 39);
  assert.equal(counts.checkedAgainstJson, 36);
  assert.equal(counts.checkedAgainstDiagnostic, 3);
  assert.deepEqual(counts.outsideModel, { float: 16, undefined: 1, simple: 3, tag: 6 });
  // Indefinite lengths are an encoding-form problem; the 6 NaN/Infinity in non-shortest float form
  // are floats, hence outside the data model.
  assert.deepEqual(counts.notDeterministic, { non_canonical: 11, bad_request: 6 });

  const outside = Object.values(counts.outsideModel).reduce((a, b) => a + b, 0);
  const refused = Object.values(counts.notDeterministic).reduce((a, b) => a + b, 0);
  t.diagnostic(
    `rfc8949 appendix A: ${counts.total} vectors; ${counts.roundtripped} round-tripped byte-identical; ` +
      `${outside} outside the data model refused ${JSON.stringify(counts.outsideModel)}; ` +
      `${refused} non-deterministic refused ${JSON.stringify(counts.notDeterministic)}`,
  );
});
