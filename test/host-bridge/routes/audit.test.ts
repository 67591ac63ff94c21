// /v1/audit: a page with each entry's decoded payload beside its stored bytes; /v1/audit/export
// streams the stored COSE_Sign1 bytes (cbor-seq) or JSON Lines, page by page from a seq.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCanonical, type CborMap } from '../../../protocol/cbor.js';
import { signCoseSign1Sync } from '../../../attestation/cose-sign1.js';
import { recordingBridge, TOKENS, errorOf } from './recording-bridge.js';

/** A stored entry's shape (the signature is not checked by the bridge, which only reads the payload). */
const coseEntry = (seq: number) => signCoseSign1Sync({ alg: -7, kid: 'dev-1', payload: encodeCanonical({ kind: 'sign.evm-tx', seq }), sign: () => new Uint8Array(64) });

test("GET /v1/audit sends the query's page and adds the decoded payload", async () => {
  const { request, sent } = recordingBridge({ 'audit.list': { headSeq: 4, headHash: new Uint8Array([9]), nextSeq: null, entries: [{ seq: 4, hash: new Uint8Array([1]), entry: coseEntry(4) }] } });
  const res = await request('GET', '/v1/audit?fromSeq=4&limit=1', { token: TOKENS.auditor });
  assert.equal(res.status, 200);
  const page = (await res.json()) as { headSeq: number; entries: { seq: number; payload: { kind: string } }[] };
  assert.equal(page.headSeq, 4);
  assert.deepEqual(page.entries[0]?.payload, { kind: 'sign.evm-tx', seq: 4 });
  assert.deepEqual(
    sent.map(({ cmd, args }) => ({ cmd, args })),
    // The active policy is read for the asset decimals of amounts in token units (host-bridge/readable-json.ts).
    [
      { cmd: 'audit.list', args: { fromSeq: 4, limit: 1 } },
      { cmd: 'policy.get', args: {} },
    ],
  );
});

test('the export pages from fromSeq in 500s until an empty page: cbor-seq is the stored bytes, jsonl one line each', async () => {
  // The log holds seq 7 and 8; a page answers the entries from fromSeq.
  const log = [7, 8].map((seq) => ({ seq, hash: new Uint8Array(1), entry: coseEntry(seq) }));
  const page = (args: CborMap) => ({ entries: log.filter((e) => e.seq >= Number(args.fromSeq)).slice(0, 1) });
  const cbor = recordingBridge({ 'audit.list': page });
  const res = await cbor.request('GET', '/v1/audit/export?fromSeq=7', { token: TOKENS.auditor });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('Content-Type'), 'application/cbor-seq');
  const bytes = new Uint8Array(await res.arrayBuffer());
  assert.deepEqual(bytes, new Uint8Array([...log[0]!.entry, ...log[1]!.entry]));
  assert.deepEqual(
    cbor.sent.map((s) => s.args),
    [
      { fromSeq: 7, limit: 500 },
      { fromSeq: 8, limit: 500 },
      { fromSeq: 9, limit: 500 },
    ],
  );

  const jsonl = recordingBridge({ 'audit.list': page });
  const lines = (await (await jsonl.request('GET', '/v1/audit/export?format=jsonl&fromSeq=8', { token: TOKENS.auditor })).text()).trim().split('\n');
  assert.deepEqual(
    lines.map((l) => (JSON.parse(l) as { payload: { seq: number } }).payload.seq),
    [8],
  );
});

test('an export format other than cbor-seq or jsonl is 400, and auditors only', async () => {
  const { request, sent } = recordingBridge();
  const res = await request('GET', '/v1/audit/export?format=csv', { token: TOKENS.auditor });
  assert.deepEqual(await errorOf(res), { code: 'bad_request', message: '"format" expected cbor-seq or jsonl', details: { field: 'format' } });
  assert.equal((await request('GET', '/v1/audit', { token: TOKENS.admin })).status, 403);
  assert.equal(sent.length, 0);
});
