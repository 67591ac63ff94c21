// GET /v1/events: audit entries (real COSE_Sign1 over canonical CBOR, from a fake appliance) become
// bridge events; holds end at activeAt on an injected clock; SSE framing and stream lifecycle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256 } from '@noble/hashes/sha2.js';
import { p256 } from '@noble/curves/nist.js';
import { encodeCanonical, type CborMap } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { COSE_ALG_ES256, signCoseSign1Sync } from '../../attestation/cose-sign1.js';
import { AuditEventFeed, eventsFromEntry, parseEventId, sseFrame, sseResponse, visibleTo, type BridgeEvent, type EventSourceAppliance } from '../../host-bridge/events.js';
import type { ApplianceClient } from '../../host-bridge/appliance-client.js';

// The real client fits the feed's narrow appliance type (checked at compile time only).
export const clientFits = (c: ApplianceClient): EventSourceAppliance => c;

const { secretKey } = p256.keygen();
const ADDR = new Uint8Array(20).fill(0xab);
const DIGEST = new Uint8Array(32).fill(7);
const T0 = 1_700_000_000; // appliance time, Unix seconds
const HOLD = 48 * 3600;
const MAX_BACKOFF = 30_000; // the feed's longest wait between tries

/** Serves audit.list from entries signed like the appliance's (tag 18, ES256, kid = device id). */
class FakeAppliance implements EventSourceAppliance {
  readonly entries: { seq: number; hash: Uint8Array; entry: Uint8Array }[] = [];
  down = false;
  maxLimit = 1000;
  listCalls = 0;
  /** The device's own clock (seconds), which judges holds in whitelist.list. */
  clock = (): number => T0;
  /** whitelist.list fails (the log still reads) while set. */
  whitelistDown = false;
  /** The whitelist the fake device holds, by proposal id (kept from the entries appended). */
  readonly listed = new Map<string, number>();

  append(fields: CborMap, time = T0): number {
    if (fields.kind === 'whitelist.approve' && fields.outcome === 'accepted') this.listed.set(String(fields.proposalId), Number(fields.activeAt));
    if (fields.kind === 'whitelist.cancel' && fields.outcome === 'cancelled') this.listed.delete(String(fields.proposalId));
    if (fields.kind === 'whitelist.remove' && fields.chainId === 1) this.listed.clear();
    const seq = this.entries.length + 1;
    const payload = encodeCanonical({ ...fields, seq, time, deviceId: 'dev-test', prevHash: new Uint8Array(32) });
    const entry = signCoseSign1Sync({ alg: COSE_ALG_ES256, kid: 'dev-test', payload, sign: (tbs) => p256.sign(tbs, secretKey, { prehash: true, format: 'compact' }) });
    this.entries.push({ seq, hash: sha256(entry), entry });
    return seq;
  }

  async call(cmd: 'audit.list' | 'health' | 'whitelist.list', args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    if (this.down) throw new ApplianceError('unavailable', 'appliance is not reachable');
    if (cmd === 'health') return { ready: true };
    if (cmd === 'whitelist.list') {
      if (this.whitelistDown) throw new ApplianceError('unavailable', 'appliance is not reachable');
      const now = this.clock();
      return { now, entries: [...this.listed].map(([proposalId, activeAt]) => ({ proposalId, activeAt, inHold: activeAt > now })) };
    }
    this.listCalls++;
    const from = Number(args.fromSeq ?? 1);
    const limit = Math.min(Number(args.limit ?? 100), this.maxLimit);
    const head = this.entries[this.entries.length - 1];
    return { headSeq: head?.seq ?? 0, headHash: head?.hash ?? new Uint8Array(32), entries: this.entries.filter((e) => e.seq >= from).slice(0, limit) };
  }
}

/** A manual clock (ms) and timers that fire only when advanced. */
class FakeTimers {
  ms = T0 * 1000;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  private next = 1;
  readonly now = (): number => this.ms;
  readonly set = (fn: () => void, ms: number): unknown => {
    const id = this.next++;
    this.pending.set(id, { at: this.ms + ms, fn });
    return id;
  };
  readonly clear = (t: unknown): void => {
    this.pending.delete(t as number);
  };
  get count(): number {
    return this.pending.size;
  }
  advance(ms: number): void {
    const target = this.ms + ms;
    for (;;) {
      let first: [number, { at: number; fn: () => void }] | undefined;
      for (const p of this.pending) if (p[1].at <= target && (!first || p[1].at < first[1].at)) first = p;
      if (!first) break;
      this.pending.delete(first[0]);
      this.ms = first[1].at;
      first[1].fn();
    }
    this.ms = target;
  }
}

const whitelistPropose = (proposalId: string): CborMap => ({ kind: 'whitelist.propose', proposalId, requester: 'ops', group: 'hot', chainId: 1, address: ADDR, label: 'exchange' });
const whitelistAccept = (proposalId: string, activeAt: number): CborMap => ({ kind: 'whitelist.approve', proposalId, outcome: 'accepted', approvedBy: ['a1', 'a2'], activeAt });

function setup(opts: { fromSeq?: number } = {}) {
  const appliance = new FakeAppliance();
  const timers = new FakeTimers();
  appliance.clock = () => Math.floor(timers.ms / 1000);
  const feed = new AuditEventFeed({ appliance, pollMs: 60_000, now: timers.now, setTimer: timers.set, clearTimer: timers.clear, ...opts });
  const got: BridgeEvent[] = [];
  feed.subscribe((e) => got.push(e));
  return { appliance, timers, feed, got };
}

test('each audit kind maps to its event; data is JSON-safe; other kinds and outcomes map to nothing', () => {
  const sign = { kind: 'sign.evm-tx', requestId: 'r1', keyId: 'k1', intentDigest: DIGEST, approvedBy: ['ap1'], reasons: [{ rule: 'approvals', code: 'needs_approval', message: 'm' }] };
  const [needed] = eventsFromEntry({ ...sign, outcome: 'needs_approval', time: T0 }, 5);
  assert.deepEqual(needed, {
    id: '5',
    type: 'approval.needed',
    seq: 5,
    time: T0,
    data: { requestId: 'r1', kind: 'sign.evm-tx', keyId: 'k1', intentDigest: '0x' + '07'.repeat(32), approvedBy: ['ap1'], reasons: [{ rule: 'approvals', code: 'needs_approval', message: 'm' }] },
  });
  assert.equal(eventsFromEntry({ ...sign, kind: 'request.approve', outcome: 'needs_approval' }, 6)[0]?.type, 'approval.needed');
  const denied = eventsFromEntry({ ...sign, kind: 'request.approve', outcome: 'deny' }, 7);
  assert.equal(denied[0]?.type, 'sign.denied');
  assert.deepEqual(denied[0]?.data.reasons, sign.reasons);
  const signed = eventsFromEntry({ ...sign, outcome: 'allow', result: 'signed', txHash: new Uint8Array([0xde, 0xad]) }, 8);
  assert.equal(signed[0]?.type, 'sign.signed');
  assert.equal(signed[0]?.data.txHash, '0xdead');
  assert.equal(signed[0]?.data.requestId, 'r1');
  assert.deepEqual(eventsFromEntry({ ...sign, outcome: 'allow', result: 'sign_failed' }, 9), []);

  const hold = eventsFromEntry(whitelistAccept('wp-1', T0 + HOLD), 10);
  assert.equal(hold[0]?.type, 'whitelist.hold_started');
  assert.deepEqual(hold[0]?.data, { proposalId: 'wp-1', activeAt: T0 + HOLD, approvedBy: ['a1', 'a2'] });
  assert.deepEqual(eventsFromEntry({ kind: 'whitelist.approve', proposalId: 'wp-1', outcome: 'pending', activeAt: null }, 11), []);

  const proposed = eventsFromEntry(
    { kind: 'policy.propose', proposalId: 'pp-1', requester: 'admin', policyVersion: 1, proposedVersion: 2, proposedHash: DIGEST, proposedDocument: { big: 'doc' }, stricter: false },
    12,
  );
  assert.deepEqual(proposed[0]?.data, { proposalId: 'pp-1', requester: 'admin', policyVersion: 1, proposedVersion: 2, proposedHash: '0x' + '07'.repeat(32), stricter: false });
  assert.equal(proposed[0]?.type, 'policy.proposed');
  const scheduled = eventsFromEntry({ kind: 'policy.approve', proposalId: 'pp-1', outcome: 'quorum', activateAfter: T0 + 100, approvedBy: ['a1'] }, 13);
  assert.equal(scheduled[0]?.type, 'policy.scheduled');
  assert.equal(scheduled[0]?.data.activateAfter, T0 + 100);
  assert.deepEqual(eventsFromEntry({ kind: 'policy.approve', proposalId: 'pp-1', outcome: 'pending' }, 14), []);
  const activated = eventsFromEntry({ kind: 'policy.activate', proposalId: 'pp-1', policyVersion: 2, previousVersion: 1, policyHash: DIGEST, document: new Uint8Array(3) }, 15);
  assert.equal(activated[0]?.type, 'policy.activated');
  assert.equal(activated[0]?.data.policyVersion, 2);
  assert.equal(activated[0]?.data.document, undefined);
  assert.equal(eventsFromEntry({ kind: 'policy.cancel', proposalId: 'pp-1' }, 16)[0]?.type, 'policy.cancelled');

  // Big integers become decimal strings.
  assert.equal(eventsFromEntry({ kind: 'policy.approve', outcome: 'quorum', activateAfter: 2n ** 70n }, 17)[0]?.data.activateAfter, (2n ** 70n).toString());
  for (const kind of ['whitelist.propose', 'whitelist.remove', 'firmware.approve', 'key.generate', 'policy.supersede', 'no.such']) {
    assert.deepEqual(eventsFromEntry({ kind, outcome: 'accepted' }, 1), [], kind);
  }
});

test('a subscriber gets only entries appended after start, in order, with increasing ids', async () => {
  const { appliance, feed, got } = setup();
  appliance.append({ kind: 'policy.cancel', proposalId: 'old' });
  await feed.start();
  await feed.start(); // idempotent
  assert.equal(got.length, 0);
  appliance.append({ kind: 'policy.propose', proposalId: 'pp-2', proposedVersion: 2 });
  appliance.append({ kind: 'key.generate', keyId: 'k' });
  appliance.append({ kind: 'sign.evm-tx', outcome: 'deny', requestId: 'r9', reasons: [] });
  await feed.pollNow();
  appliance.append({ kind: 'policy.approve', proposalId: 'pp-2', outcome: 'quorum', activateAfter: T0 + 60 });
  await feed.pollNow();
  await feed.pollNow(); // nothing new: nothing repeated
  assert.deepEqual(
    got.map((e) => [e.type, e.seq]),
    [
      ['policy.proposed', 2],
      ['sign.denied', 4],
      ['policy.scheduled', 5],
    ],
  );
  assert.deepEqual(
    got.map((e) => e.id),
    ['2', '4', '5'],
    'ids are audit positions, not a per-process counter',
  );
  feed.stop();
});

test('pages through a backlog from fromSeq, even when the appliance caps the page size', async () => {
  const { appliance, feed, got } = setup({ fromSeq: 1 });
  appliance.maxLimit = 100;
  for (let i = 0; i < 250; i++) appliance.append({ kind: 'policy.cancel', proposalId: `p${i}` });
  await feed.start();
  assert.equal(got.length, 250);
  assert.deepEqual(
    got.map((e) => e.seq),
    Array.from({ length: 250 }, (_, i) => i + 1),
  );
  assert.ok(got.every((e, i) => e.id === String(i + 1)));
  assert.equal(appliance.listCalls, 3);
  feed.stop();
});

test('a hold starts with the proposed address and ends at activeAt on the injected clock', async () => {
  const { appliance, timers, feed, got } = setup({ fromSeq: 1 });
  appliance.append(whitelistPropose('wp-1'));
  appliance.append({ kind: 'whitelist.approve', proposalId: 'wp-1', outcome: 'pending', activeAt: null });
  appliance.append(whitelistAccept('wp-1', T0 + HOLD));
  await feed.start();
  assert.equal(got.length, 1);
  assert.deepEqual(got[0], {
    id: '3',
    type: 'whitelist.hold_started',
    seq: 3,
    time: T0,
    data: { proposalId: 'wp-1', activeAt: T0 + HOLD, approvedBy: ['a1', 'a2'], group: 'hot', chainId: 1, address: '0x' + 'ab'.repeat(20), label: 'exchange' },
  });
  appliance.append({ kind: 'policy.cancel', proposalId: 'pp' }, T0 + 10);
  await feed.pollNow();
  timers.advance(HOLD * 1000 - 1);
  assert.deepEqual(
    got.map((e) => e.type),
    ['whitelist.hold_started', 'policy.cancelled'],
  );
  timers.advance(1);
  await feed.pollNow(); // the hold ends after one more read of the log
  assert.equal(got.length, 3);
  assert.deepEqual(got[2], {
    id: '4~0~wp-1',
    type: 'whitelist.hold_ended',
    seq: 4,
    time: T0 + HOLD,
    data: { proposalId: 'wp-1', activeAt: T0 + HOLD, group: 'hot', chainId: 1, address: '0x' + 'ab'.repeat(20), label: 'exchange', reason: 'elapsed' },
  });
  assert.equal(timers.count, 0);
  feed.stop();
});

test('a hold already past ends at once; one longer than a timer can wait re-arms; the proposal may be unknown', async () => {
  const { appliance, timers, feed, got } = setup();
  await feed.start();
  appliance.append(whitelistAccept('wp-past', T0 - 1));
  const days40 = 40 * 24 * 3600;
  appliance.append(whitelistAccept('wp-long', T0 + days40));
  await feed.pollNow();
  await feed.pollNow();
  assert.deepEqual(
    got.map((e) => [e.type, e.data.proposalId, e.id]),
    [
      ['whitelist.hold_started', 'wp-past', '1'],
      ['whitelist.hold_started', 'wp-long', '2'],
      ['whitelist.hold_ended', 'wp-past', '2~0~wp-past'],
    ],
  );
  assert.equal(got[0]?.data.address, undefined);
  timers.advance(30 * 24 * 3600 * 1000);
  assert.equal(got.length, 3);
  timers.advance(10 * 24 * 3600 * 1000);
  await feed.pollNow();
  assert.equal(got[3]?.type, 'whitelist.hold_ended');
  assert.equal(got[3]?.data.proposalId, 'wp-long');
  feed.stop();
});

test('removing an address during its hold ends the hold at once and cancels its timer', async () => {
  const { appliance, timers, feed, got } = setup();
  await feed.start();
  appliance.append(whitelistPropose('wp-r'));
  appliance.append(whitelistAccept('wp-r', T0 + HOLD));
  appliance.append({ kind: 'whitelist.remove', requester: 'ops', chainId: 2, address: ADDR, group: null, removed: 1 }, T0 + 5); // other chain
  appliance.append({ kind: 'whitelist.remove', requester: 'ops', chainId: 1, address: ADDR, group: null, removed: 1 }, T0 + 9);
  await feed.pollNow();
  assert.deepEqual(
    got.map((e) => [e.type, e.seq, e.time, e.data.reason]),
    [
      ['whitelist.hold_started', 2, T0, undefined],
      ['whitelist.hold_ended', 4, T0 + 9, 'removed'],
    ],
  );
  assert.equal(timers.count, 0);
  timers.advance(HOLD * 1000);
  assert.equal(got.length, 2);
  feed.stop();
});

test('an unreachable appliance does not reject start(); polling backs off and resumes', async () => {
  const appliance = new FakeAppliance();
  appliance.append({ kind: 'policy.cancel', proposalId: 'before' });
  appliance.down = true;
  const feed = new AuditEventFeed({ appliance, pollMs: 2 });
  const got: BridgeEvent[] = [];
  const first = new Promise<BridgeEvent>((resolve) => feed.subscribe(resolve));
  feed.subscribe((e) => got.push(e));
  // A throwing subscriber harms nobody.
  feed.subscribe(() => {
    throw new Error('subscriber bug');
  });
  await feed.start();
  await assert.rejects(feed.pollNow(), (e: unknown) => e instanceof ApplianceError && e.code === 'unavailable');
  await new Promise((r) => setTimeout(r, 10));
  appliance.down = false;
  // Wait (bounded) for the retry that reads the head, so the next entry is new to the feed.
  for (let i = 0; i < 400 && appliance.listCalls === 0; i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(appliance.listCalls > 0, 'the feed retried');
  appliance.append({ kind: 'policy.cancel', proposalId: 'after' });
  const e = await within(first);
  assert.equal(e.data.proposalId, 'after');
  assert.equal(got.length, 1);
  feed.stop();
});

test('sseFrame: id, event and one JSON data line, blank-line terminated', () => {
  const e: BridgeEvent = { id: '42', type: 'sign.denied', seq: 7, time: T0, data: { requestId: 'r\n1', reasons: [] } };
  const frame = sseFrame(e);
  // The event with its readable members: timeIso beside time (host-bridge/readable-json.ts).
  assert.equal(frame, `id: 42\nevent: sign.denied\ndata: {"id":"42","type":"sign.denied","seq":7,"time":${T0},"timeIso":"2023-11-14T22:13:20Z","data":{"requestId":"r\\n1","reasons":[]}}\n\n`);
  assert.equal(frame.split('\n').length, 5);
  assert.deepEqual(JSON.parse(frame.split('\n')[2]!.slice('data: '.length)), { ...e, timeIso: '2023-11-14T22:13:20Z' });
});

/** `p`, or a rejection after `ms`; the deadline timer also keeps the event loop alive while the stream's unref'd keep-alive timer is all that is left. */
async function within<T>(p: Promise<T>, ms = 2000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads SSE text until `done(buffer)` holds or the stream ends. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, state: { text: string }, done: (text: string) => boolean): Promise<boolean> {
  const dec = new TextDecoder();
  while (!done(state.text)) {
    const r = await reader.read();
    if (r.done) return false;
    state.text += dec.decode(r.value, { stream: true });
  }
  return true;
}

test('sseResponse streams frames and keep-alives, replays after Last-Event-ID, and closes on abort', async () => {
  const { appliance, feed } = setup();
  await feed.start();
  const ac = new AbortController();
  const res = sseResponse(feed, ac.signal, { keepAliveMs: 5 });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  assert.equal(res.headers.get('cache-control'), 'no-cache, no-transform');
  const reader = res.body!.getReader();
  const state = { text: '' };
  assert.ok(await readUntil(reader, state, (t) => t.includes('\n\n')));
  assert.equal(state.text, 'retry: 5000\n\n');

  appliance.append({ kind: 'policy.propose', proposalId: 'pp-s', proposedVersion: 3 });
  appliance.append({ kind: 'policy.cancel', proposalId: 'pp-s' });
  await feed.pollNow();
  assert.ok(await readUntil(reader, state, (t) => t.includes('event: policy.cancelled')));
  const frames = state.text.split('\n\n').filter((f) => f.startsWith('id: '));
  assert.deepEqual(
    frames.map((f) => f.split('\n').slice(0, 2)),
    [
      ['id: 1', 'event: policy.proposed'],
      ['id: 2', 'event: policy.cancelled'],
    ],
  );
  assert.ok(await within(readUntil(reader, state, (t) => t.includes(': keep-alive\n\n'))));

  // A reconnecting client (Last-Event-ID: 1) first gets what it missed.
  const ac2 = new AbortController();
  const replay = sseResponse(feed, ac2.signal, { lastEventId: '1' }).body!.getReader();
  const state2 = { text: '' };
  assert.ok(await readUntil(replay, state2, (t) => t.includes('event: policy.cancelled')));
  assert.ok(!state2.text.includes('event: policy.proposed'));

  ac.abort();
  assert.equal(await readUntil(reader, state, () => false), false); // the stream ends
  // The stopped feed ends the remaining stream too.
  feed.stop();
  assert.equal(await readUntil(replay, state2, () => false), false);
  ac2.abort();
});

test('sseResponse with an already-aborted signal ends at once; cancelling the body unsubscribes', async () => {
  const { appliance, feed } = setup();
  await feed.start();
  const ac = new AbortController();
  ac.abort();
  const reader = sseResponse(feed, ac.signal).body!.getReader();
  const state = { text: '' };
  assert.equal(await readUntil(reader, state, () => false), false);
  assert.equal(state.text, 'retry: 5000\n\n');

  const live = sseResponse(feed, new AbortController().signal).body!;
  await live.cancel();
  appliance.append({ kind: 'policy.cancel', proposalId: 'x' });
  await feed.pollNow(); // delivering to a cancelled stream must not throw
  feed.stop();
});

test('decision entries of any signing path map by outcome; a cancelled entry maps to whitelist.cancelled', () => {
  const typed = { kind: 'sign.typed-data', requestId: 'td-1', requester: 'orch', keyId: 'k1', typedDataDigest: DIGEST, primaryType: 'Permit', reasons: [] };
  assert.deepEqual(eventsFromEntry({ ...typed, outcome: 'deny' }, 3)[0]?.type, 'sign.denied');
  const signed = eventsFromEntry({ ...typed, outcome: 'allow', result: 'signed' }, 4)[0];
  assert.deepEqual([signed?.type, signed?.id, signed?.data.kind, signed?.data.requester, signed?.data.primaryType], ['sign.signed', '4', 'sign.typed-data', 'orch', 'Permit']);
  assert.equal(eventsFromEntry({ kind: 'whitelist.cancel', proposalId: 'wp-1', outcome: 'cancelled' }, 5)[0]?.type, 'whitelist.cancelled');
  assert.deepEqual(eventsFromEntry({ kind: 'whitelist.cancel', proposalId: 'wp-1', outcome: 'pending' }, 6), []);
});

test('a hold cancelled before its activeAt never ends, even when the cancel is read only at activeAt', async () => {
  const { appliance, timers, feed, got } = setup();
  await feed.start();
  appliance.append(whitelistPropose('wp-c'));
  appliance.append(whitelistAccept('wp-c', T0 + HOLD));
  await feed.pollNow();
  appliance.append({ kind: 'whitelist.cancel', proposalId: 'wp-c', outcome: 'cancelled', approvedBy: ['a1', 'a2'] }, T0 + 10); // not yet read
  timers.advance(HOLD * 1000);
  await feed.pollNow();
  await feed.pollNow();
  assert.deepEqual(
    got.map((e) => e.type),
    ['whitelist.hold_started', 'whitelist.cancelled'],
  );
  assert.equal(got[1]?.data.address, '0x' + 'ab'.repeat(20));
  feed.stop();
});

test('a restarted feed answers an older Last-Event-ID from the log: exactly the missed events, same ids, then live', async () => {
  const { appliance, feed, got } = setup();
  await feed.start();
  appliance.append({ kind: 'policy.propose', proposalId: 'pp-1', proposedVersion: 2 });
  appliance.append({ kind: 'sign.evm-tx', outcome: 'deny', requestId: 'r1', requester: 'orch', reasons: [] });
  await feed.pollNow();
  const lastSeen = got[0]!.id;
  feed.stop();
  appliance.append({ kind: 'sign.typed-data', outcome: 'deny', requestId: 'r2', requester: 'orch', reasons: [] });
  const restarted = new AuditEventFeed({ appliance, pollMs: 60_000 });
  await restarted.start();
  const replayed: BridgeEvent[] = [];
  restarted.subscribe((e) => replayed.push(e), { afterId: lastSeen });
  for (let i = 0; i < 100 && replayed.length < 2; i++) await new Promise((r) => setImmediate(r));
  appliance.append({ kind: 'policy.cancel', proposalId: 'pp-1' });
  await restarted.pollNow();
  assert.deepEqual(
    replayed.map((e) => [e.id, e.type]),
    [
      ['2', 'sign.denied'],
      ['3', 'sign.denied'],
      ['4', 'policy.cancelled'],
    ],
  );
  restarted.stop();
});

test('an orchestrator-only viewer sees its own requests only; any other scope sees everything', () => {
  const mine: BridgeEvent = { id: '1', type: 'sign.denied', seq: 1, time: T0, data: { requester: 'orch' } };
  const theirs: BridgeEvent = { ...mine, id: '2', data: { requester: 'alice' } };
  const hold: BridgeEvent = { id: '3', type: 'whitelist.hold_started', seq: 3, time: T0, data: {} };
  const orch = { principal: 'orch', scopes: ['orchestrator'] };
  assert.deepEqual(
    [mine, theirs, hold].map((e) => visibleTo(e, orch)),
    [true, false, false],
  );
  assert.deepEqual(
    [mine, theirs, hold].map((e) => visibleTo(e, { principal: 'admin-1', scopes: ['admin', 'orchestrator'] })),
    [true, true, true],
  );
  assert.deepEqual(
    [mine, theirs, hold].map((e) => visibleTo(e, { principal: 'aud', scopes: ['auditor'] })),
    [true, true, true],
  );
});

test('a Last-Event-ID far behind is answered from at most maxLogReplay entries before the head', async () => {
  const appliance = new FakeAppliance();
  for (let i = 0; i < 8; i++) appliance.append({ kind: 'policy.cancel', proposalId: `p${i}` });
  const feed = new AuditEventFeed({ appliance, pollMs: 60_000, maxLogReplay: 3 });
  await feed.start();
  const got: BridgeEvent[] = [];
  feed.subscribe((e) => got.push(e), { afterId: '1' });
  for (let i = 0; i < 100 && got.length < 3; i++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    got.map((e) => e.id),
    ['6', '7', '8'],
  );
  feed.stop();
});

test('a due hold ends only after the log and the whitelist were read: an unreachable appliance re-arms, no hold_ended', async () => {
  const { appliance, timers, feed, got } = setup();
  await feed.start();
  appliance.append(whitelistPropose('wp-d'));
  appliance.append(whitelistAccept('wp-d', T0 + HOLD));
  await feed.pollNow();
  appliance.append({ kind: 'whitelist.cancel', proposalId: 'wp-d', outcome: 'cancelled', approvedBy: ['a1', 'a2'] }, T0 + 10); // committed, not yet read
  appliance.down = true;
  timers.advance(HOLD * 1000);
  await feed.pollNow().catch(() => undefined);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    got.map((e) => e.type),
    ['whitelist.hold_started'],
    'no hold_ended while the log cannot be read',
  );
  assert.equal(timers.count, 1, 'the hold check re-armed');
  appliance.down = false;
  timers.advance(MAX_BACKOFF);
  await feed.pollNow();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    got.map((e) => e.type),
    ['whitelist.hold_started', 'whitelist.cancelled'],
  );
  feed.stop();
});

test('a hold due on the host clock but still held on the device clock does not end until the device says so', async () => {
  const { appliance, timers, feed, got } = setup();
  let lag = 600; // the device's clock is ten minutes behind this host's
  appliance.clock = () => Math.floor(timers.ms / 1000) - lag;
  await feed.start();
  appliance.append(whitelistPropose('wp-t'));
  appliance.append(whitelistAccept('wp-t', T0 + HOLD));
  await feed.pollNow();
  timers.advance(HOLD * 1000);
  await feed.pollNow();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    got.map((e) => e.type),
    ['whitelist.hold_started'],
    'the device still holds the address',
  );
  appliance.whitelistDown = true; // the log reads, the whitelist does not: still no end
  timers.advance(600 * 1000);
  await feed.pollNow();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    got.map((e) => e.type),
    ['whitelist.hold_started'],
  );
  appliance.whitelistDown = false;
  lag = 0;
  timers.advance(MAX_BACKOFF);
  await feed.pollNow();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    got.map((e) => [e.type, e.data.reason]),
    [
      ['whitelist.hold_started', undefined],
      ['whitelist.hold_ended', 'elapsed'],
    ],
  );
  feed.stop();
});

test('two holds ending after the same entry get distinct, ordered positions; resuming after the first delivers the second', async () => {
  const { appliance, timers, feed, got } = setup();
  await feed.start();
  appliance.append(whitelistAccept('wp-a', T0 + HOLD));
  appliance.append(whitelistAccept('wp-b', T0 + HOLD));
  await feed.pollNow();
  timers.advance(HOLD * 1000);
  await feed.pollNow();
  await new Promise((r) => setImmediate(r));
  await feed.pollNow();
  await new Promise((r) => setImmediate(r));
  const ended = got.filter((e) => e.type === 'whitelist.hold_ended');
  assert.deepEqual(
    ended.map((e) => e.id),
    ['2~0~wp-a', '2~1~wp-b'],
  );
  const [a, b] = ended.map((e) => parseEventId(e.id)!);
  assert.ok(a![0] === b![0] && a![1] < b![1], 'same seq, the second after the first');
  // A reconnect that resumes after the first, once its events have been read again from the log.
  const resumed: BridgeEvent[] = [];
  feed.subscribe((e) => resumed.push(e), { afterId: '2~0~wp-a' });
  assert.deepEqual(
    resumed.map((e) => e.id),
    ['2~1~wp-b'],
  );
  feed.stop();
});
