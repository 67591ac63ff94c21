// The refusal log: the first of identical refusals is written at once, the repeats are counted and
// written as one `refusal.repeated` entry at the count bound, at the end of the window (device clock,
// controlled here) and at close; more distinct refusals than it keeps apart fold by command and code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { p256 } from '@noble/curves/nist.js';
import { AuditLog } from '../../appliance/state/audit-log.js';
import { detailsOf, MAX_DETAIL_TEXT, MAX_DETAILS_BYTES, needsRefusalAudit, RefusalLog, refusalFields, withAuditSeq, type RefusalLimits } from '../../appliance/refusal-log.js';
import { ApplianceError } from '../../protocol/errors.js';
import { entryPayload } from '../../cli/audit-tools.js';
import { encodeCanonical, type CborMap } from '../../protocol/cbor.js';
import type { AuditFields } from '../../protocol/audit-kinds.js';
import { sealedDb } from '../helpers/sealed-db.js';

function setup(limits: RefusalLimits) {
  let now = 1_700_000_000;
  const { db, seal } = sealedDb(':memory:', () => now);
  const audit = new AuditLog(db, 'hsm-test');
  const { secretKey } = p256.keygen();
  audit.attachSigner({ measurement: new Uint8Array(32), sign: (tbs) => p256.sign(tbs, secretKey, { prehash: true, format: 'compact' }) });
  const refusals = new RefusalLog(
    audit,
    (fn) => seal.transaction(fn),
    () => now,
    limits,
  );
  const entries = (): CborMap[] => audit.list(1, 10_000).map((e) => entryPayload(e.entry));
  return { refusals, entries, advance: (s: number) => (now += s), db };
}

const refusal = (requester = 'mallory', code = 'denied'): AuditFields => ({
  kind: 'refusal',
  command: 'whitelist.cancel',
  code,
  requester,
  subject: 'wp-1',
  message: 'cancel rejected: bad_signature',
  details: { why: 'bad_signature' },
});

test('identical refusals: the first is an entry at once, the repeats one counted entry at the end of the window', () => {
  const t = setup({ windowSeconds: 60, maxRepeats: 1000, maxDistinct: 16 });
  const seqs: number[] = [];
  for (let i = 0; i < 500; i++) {
    seqs.push(t.refusals.record(refusal()));
    if (i % 100 === 99) t.advance(10);
  }
  assert.equal(t.entries().length, 1, 'one entry for 500 identical refusals so far');
  assert.ok(
    seqs.every((s) => s === 1),
    'every answer names the first entry',
  );
  assert.equal(t.refusals.pending(), 499);
  assert.equal(t.refusals.flushDue(), 0, 'the window has not ended (50 s of 60)');
  t.advance(10);
  assert.equal(t.refusals.flushDue(), 1);
  const [first, counted] = t.entries();
  assert.equal(first?.kind, 'refusal');
  assert.equal(counted?.kind, 'refusal.repeated');
  assert.equal(counted?.repeats, 499);
  assert.equal(counted?.firstSeq, 1);
  assert.equal(counted?.command, 'whitelist.cancel');
  assert.deepEqual(counted?.refusalDigest, first?.refusalDigest, 'the count names the first entry by its digest');
  assert.equal(counted?.firstAt, 1_700_000_000);
  assert.equal(counted?.lastAt, 1_700_000_040);
  assert.equal(t.refusals.pending(), 0);
  // After the window, the same refusal is written again as a first entry.
  assert.equal(t.refusals.record(refusal()), 3);
  t.db.close();
});

test('the count bound writes a counted entry at once; close writes what is pending', () => {
  const t = setup({ windowSeconds: 60, maxRepeats: 100, maxDistinct: 16 });
  for (let i = 0; i < 1 + 250; i++) t.refusals.record(refusal());
  const kinds = t.entries().map((e) => `${String(e.kind)}:${String(e.repeats ?? '')}`);
  assert.deepEqual(kinds, ['refusal:', 'refusal.repeated:100', 'refusal.repeated:100']);
  assert.equal(t.refusals.pending(), 50);
  assert.equal(t.refusals.flushAll(), 1);
  assert.deepEqual(
    t.entries().map((e) => e.repeats ?? null),
    [null, 100, 100, 50],
  );
  t.db.close();
});

test('different refusals are kept apart; interleaved repeats are each counted', () => {
  const t = setup({ windowSeconds: 60, maxRepeats: 1000, maxDistinct: 16 });
  for (let i = 0; i < 300; i++) t.refusals.record(refusal(i % 2 === 0 ? 'alice' : 'bob'));
  t.refusals.flushAll();
  const e = t.entries();
  assert.deepEqual(
    e.map((x) => [x.kind, x.requester ?? null, x.repeats ?? null]),
    [
      ['refusal', 'alice', null],
      ['refusal', 'bob', null],
      ['refusal.repeated', null, 149],
      ['refusal.repeated', null, 149],
    ],
  );
  t.db.close();
});

test('a flood of distinct refusals (a requester name varied per frame) stays bounded: beyond maxDistinct they fold by command and code', () => {
  const t = setup({ windowSeconds: 60, maxRepeats: 1000, maxDistinct: 16 });
  for (let i = 0; i < 5000; i++) t.refusals.record(refusal(`attacker-${i}`));
  const written = t.entries();
  assert.equal(written.filter((x) => x.kind === 'refusal').length, 17, '16 distinct entries and one folded entry');
  const folded = written[16];
  assert.equal(folded?.varied, true);
  assert.equal(folded?.command, 'whitelist.cancel');
  assert.equal(folded?.code, 'denied');
  assert.equal(written.length, 17 + 4, 'and one counted entry per 1000 folded repeats');
  t.advance(60);
  t.refusals.flushDue();
  const counted = t.entries().filter((x) => x.kind === 'refusal.repeated');
  assert.deepEqual(
    counted.map((x) => x.repeats),
    [1000, 1000, 1000, 1000, 5000 - 17 - 4000],
  );
  assert.ok(
    counted.every((x) => x.firstSeq === 17),
    'every count names the folded entry',
  );
  t.db.close();
});

test('a count whose write fails stays pending (nothing is lost in memory by a rolled-back write)', () => {
  const t = setup({ windowSeconds: 60, maxRepeats: 1000, maxDistinct: 16 });
  for (let i = 0; i < 10; i++) t.refusals.record(refusal());
  let fail = true;
  const failing = new RefusalLog(
    {
      append: () =>
        fail
          ? (() => {
              throw new Error('disk full');
            })()
          : { seq: 1, hash: new Uint8Array(32), entry: new Uint8Array() },
    },
    (fn) => fn(),
    () => 1_700_000_000,
    { windowSeconds: 60, maxRepeats: 3, maxDistinct: 16 },
  );
  assert.throws(() => failing.record(refusal()), /disk full/);
  fail = false;
  failing.record(refusal());
  fail = true;
  failing.record(refusal());
  failing.record(refusal());
  assert.throws(() => failing.record(refusal()), /disk full/, 'the count bound write fails');
  assert.equal(failing.pending(), 3, 'the count is kept for the next write');
  fail = false;
  assert.equal(failing.flushAll(), 1);
  assert.equal(failing.pending(), 0);
  t.db.close();
});

test('the dispatcher audits typed refusals nobody audited yet: not faults, not sealed-state refusals, not handler-audited ones', () => {
  assert.equal(needsRefusalAudit(new ApplianceError('bad_request', '"nonce" expected an unsigned 64-bit integer, got string', { field: 'nonce' })), true);
  assert.equal(needsRefusalAudit(new ApplianceError('conflict', 'this idempotency key was used for a different request')), true);
  assert.equal(needsRefusalAudit(new ApplianceError('internal', 'internal error')), false, 'a fault stays in the operational log');
  assert.equal(needsRefusalAudit(new Error('boom')), false);
  assert.equal(needsRefusalAudit(new ApplianceError('denied', 'sealed state broken', { rule: 'sealed-state', code: 'state_tampered' })), false, 'audited once per episode by the sealed state');
  assert.equal(needsRefusalAudit(new ApplianceError('denied', 'approval rejected: bad_signature', { why: 'bad_signature', auditSeq: 7 })), false, 'its handler audited it');
  const err = new ApplianceError('denied', 'cancel rejected: bad_signature', { approverId: 'admin-2', why: 'bad_signature', big: 10n ** 30n });
  const fields = refusalFields('policy.cancel', { proposalId: 'pp-1', adminId: 'admin-2', expiresAt: 1, signature: new Uint8Array(64) }, err);
  assert.equal(fields.requester, 'admin-2');
  assert.equal(fields.subject, 'pp-1');
  assert.deepEqual(fields.details, { approverId: 'admin-2', why: 'bad_signature', big: (10n ** 30n).toString() });
  assert.ok(fields.argsDigest instanceof Uint8Array && fields.argsDigest.length === 32);
  const other = refusalFields('policy.cancel', { proposalId: 'pp-1', adminId: 'admin-2', expiresAt: 2, signature: new Uint8Array(64) }, err);
  assert.notDeepEqual(other.argsDigest, fields.argsDigest, 'other arguments, another refusal');
  assert.equal(refusalFields('sign.evm-tx', { requester: 'x'.repeat(500) }, err).requester, null, 'an unreadable requester is not recorded');
  const marked = withAuditSeq(err, 12);
  assert.equal(marked.code, 'denied');
  assert.equal(marked.details?.auditSeq, 12);
  assert.equal(marked.details?.why, 'bad_signature');
});

test("a refusal entry's size does not depend on what was refused: caller text in details is cut, large details kept as a digest", () => {
  const long = 'k'.repeat(200_000); // e.g. an unknown typed-data field name
  const cut = detailsOf(new ApplianceError('bad_request', 'unknown field', { field: long, list: Array.from({ length: 100 }, (_, i) => i) }))!;
  assert.equal(String(cut.field).length < MAX_DETAIL_TEXT + 40, true);
  assert.ok(String(cut.field).endsWith('(200000 characters)'));
  assert.equal((cut.list as unknown[]).length, 17);
  const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}`, 'v'.repeat(100)]));
  const digest = detailsOf(new ApplianceError('bad_request', 'x', many))!;
  assert.equal(digest.truncated, true);
  assert.ok(digest.digest instanceof Uint8Array && digest.digest.length === 32);
  assert.ok(
    encodeCanonical(refusalFields('sign.typed-data', { requestId: 'r', requester: 'orchestrator' }, new ApplianceError('bad_request', long, { field: long }))).length < MAX_DETAILS_BYTES + 600,
  );
});
