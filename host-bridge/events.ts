// GET /v1/events: server-sent events (WHATWG HTML "Server-sent events", text/event-stream) that tell
// users and admins what the appliance decided: whitelist holds starting and ending, requests waiting
// for approval, policy changes proposed, scheduled, activated or cancelled, denials and signatures.
// The bridge decides nothing, so it derives every event from the appliance's attested audit log
// (audit.list), which already records each of these decisions, by the entry's kind and outcome (so a
// signing path, EVM or typed data, that audits a decision emits it). Event ids are positions in that
// log, so a client's Last-Event-ID survives a bridge restart: the bridge reads the missed entries
// again. A token of the orchestrator scope alone sees the events of its own principal's requests; any
// other scope sees the whole feed. Events are notifications, not evidence: the bridge does not verify
// entry signatures here; auditors verify the export offline.
import type { CborValue } from '../protocol/cbor.js';
import { auditKindOf, isDecisionKind } from '../protocol/audit-kinds.js';
import { entryPayload } from '../attestation/audit-entry-view.js';
import { cborToJson, type Json as JsonValue } from './json-cbor.js';
import { readableJson } from './readable-json.js';

export type BridgeEventType =
  | 'whitelist.hold_started'
  | 'whitelist.hold_ended'
  | 'whitelist.cancelled'
  | 'approval.needed'
  | 'policy.proposed'
  | 'policy.scheduled'
  | 'policy.activated'
  | 'policy.cancelled'
  | 'sign.denied'
  | 'sign.signed';

export interface BridgeEvent {
  /**
   * The SSE id: a position in the audit log. `<seq>` for the first event an entry yields, `<seq>.<k>`
   * for its k-th further one, `<seq>~<n>~<proposalId>` for the n-th hold (from 0) seen ended (its
   * time passed, on the device's clock) after entry `<seq>` was read. Ordered by seq, then k, then
   * holds by n, so no two events share a position; the same entry yields the same ids in any bridge
   * process.
   */
  id: string;
  type: BridgeEventType;
  /** The audit seq this event derives from. */
  seq: number;
  /** Unix seconds (the appliance's clock): the entry's time, or activeAt for an elapsed hold. */
  time: number;
  /** `time` as ISO 8601 UTC: on the wire only (sseFrame adds it, readable-json.ts); events built inside the bridge leave it out. */
  timeIso?: string;
  /** JSON-safe: bytes as 0x hex, big integers as decimal strings. */
  data: Record<string, unknown>;
}

export interface EventSourceAppliance {
  call(cmd: 'audit.list' | 'health' | 'whitelist.list', args?: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** Who reads the stream: an orchestrator-only token sees its own principal's requests only. */
export interface EventViewer {
  principal: string;
  scopes: readonly string[];
}

const REQUEST_EVENTS: ReadonlySet<BridgeEventType> = new Set(['approval.needed', 'sign.denied', 'sign.signed']);

/** Whether `viewer` may see `e`: any scope but orchestrator sees the feed; orchestrator alone, its own requests' events. */
export function visibleTo(e: BridgeEvent, viewer: EventViewer | undefined): boolean {
  if (!viewer) return true;
  if (viewer.scopes.some((s) => s !== 'orchestrator')) return true;
  return REQUEST_EVENTS.has(e.type) && e.data.requester === viewer.principal;
}

type Pos = [seq: number, rank: number];
const HOLD_RANK = 1_000_000;

/** The log position an event id names (see BridgeEvent.id), or undefined for anything else. */
export function parseEventId(id: string | null | undefined): Pos | undefined {
  const m = id ? /^([0-9]{1,15})(?:\.([0-9]{1,5})|~([0-9]{1,9})~[A-Za-z0-9._-]{1,64})?$/.exec(id) : null;
  if (!m) return undefined;
  return [Number(m[1]), m[2] !== undefined ? Number(m[2]) : m[3] !== undefined ? HOLD_RANK + Number(m[3]) : 0];
}
const cmpPos = (a: Pos, b: Pos): number => a[0] - b[0] || a[1] - b[1];

export interface AuditEventFeedOptions {
  appliance: EventSourceAppliance;
  /** Delay between polls when caught up (default 1000 ms); failures back off up to 30 s. */
  pollMs?: number;
  /** First audit seq to deliver; default: the head at start, so only new entries become events. */
  fromSeq?: number;
  /** How many entries back a Last-Event-ID older than memory is answered from the log (default MAX_LOG_REPLAY). */
  maxLogReplay?: number;
  /** Milliseconds since the epoch (default Date.now): when to ask the appliance whether a hold ended (the device judges it on its own time). */
  now?: () => number;
  /** Timer for hold_ended (default: an unref'd setTimeout). */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
}

export interface SubscribeOptions {
  /** Deliver the events after this id first (SSE Last-Event-ID after a reconnect): from memory, or read again from the log. */
  afterId?: string;
  /** Only the events this viewer may see. */
  viewer?: EventViewer;
  /** Called once when the feed stops, so a stream can end. */
  onStop?: () => void;
}

const PAGE_LIMIT = 500;
const MAX_BACKOFF_MS = 30_000;
const MAX_TIMER_MS = 2 ** 31 - 1; // setTimeout's limit (~24.8 days); longer holds re-arm
const REPLAY_BUFFER = 1000;
const MAX_REMEMBERED_PROPOSALS = 10_000;
/** A client further behind than this many entries resumes this far before the head (the audit log itself holds the rest). */
export const MAX_LOG_REPLAY = 10_000;

type Json = Record<string, unknown>;

const json = (v: unknown): unknown => cborToJson(v as CborValue);

/** The listed fields of `payload` that are present, converted to JSON-safe values. */
function pick(payload: Record<string, unknown>, keys: readonly string[]): Json {
  const out: Json = {};
  for (const k of keys) if (payload[k] !== undefined) out[k] = json(payload[k]);
  return out;
}

const REQUEST_KEYS = ['requestId', 'kind', 'requester', 'keyId', 'intentDigest', 'typedDataDigest', 'primaryType'] as const;

/**
 * Pure mapping of one decoded audit payload to 0..n events, with their ids. A decision entry (one of
 * DECISION_KINDS: `request.approve` or `sign.*`, whatever the signing path) maps by its outcome; unknown kinds, and
 * outcomes that tell nobody anything (pending, rejected), produce nothing.
 */
export function eventsFromEntry(payload: Record<string, unknown>, seq: number): BridgeEvent[] {
  const time = typeof payload.time === 'number' ? payload.time : 0;
  const ev = (type: BridgeEventType, keys: readonly string[]): BridgeEvent[] => [{ id: String(seq), type, seq, time, data: pick(payload, keys) }];
  const kind = auditKindOf(payload);
  if (isDecisionKind(kind)) {
    if (payload.outcome === 'needs_approval') return ev('approval.needed', [...REQUEST_KEYS, 'approvedBy', 'reasons']);
    if (payload.outcome === 'deny') return ev('sign.denied', [...REQUEST_KEYS, 'reasons']);
    if (payload.outcome === 'allow' && payload.result === 'signed') return ev('sign.signed', [...REQUEST_KEYS, 'txHash', 'approvedBy']);
    return [];
  }
  switch (kind) {
    case 'whitelist.approve':
      return payload.outcome === 'accepted' ? ev('whitelist.hold_started', ['proposalId', 'activeAt', 'approvedBy', 'group', 'chainId', 'address', 'label']) : [];
    case 'whitelist.cancel':
      return payload.outcome === 'cancelled' ? ev('whitelist.cancelled', ['proposalId', 'approvedBy', 'group', 'chainId', 'address', 'label']) : [];
    case 'policy.propose':
      return ev('policy.proposed', ['proposalId', 'requester', 'policyVersion', 'proposedVersion', 'proposedHash', 'stricter']);
    case 'policy.approve':
      return payload.outcome === 'quorum' ? ev('policy.scheduled', ['proposalId', 'activateAfter', 'approvedBy', 'policyVersion']) : [];
    case 'policy.activate':
      return ev('policy.activated', ['proposalId', 'policyVersion', 'policyHash', 'previousVersion']);
    case 'policy.cancel':
      return ev('policy.cancelled', ['proposalId', 'policyVersion']);
    default:
      return [];
  }
}

/** One event as an SSE frame; the data line is the whole event as JSON (JSON never contains a raw newline), with its readable members (readable-json.ts). */
export function sseFrame(e: BridgeEvent): string {
  const event = readableJson({ id: e.id, type: e.type, seq: e.seq, time: e.time, data: e.data } as JsonValue);
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

interface Hold {
  activeAt: number;
  data: Json;
  timer: unknown;
}

interface Subscriber {
  fn: (e: BridgeEvent) => void;
  onStop: (() => void) | undefined;
  viewer: EventViewer | undefined;
  /** While the missed events are read again from the log, live events wait here. */
  queue: BridgeEvent[] | undefined;
  /** After that read: live events at or before this position were already delivered. */
  skipThrough: Pos | undefined;
}

const posOf = (e: BridgeEvent): Pos => parseEventId(e.id) ?? [e.seq, 0];

/**
 * Polls audit.list from a starting seq, converts entries to events and fans them out. Schedules
 * whitelist.hold_ended at each accepted entry's activeAt, emitted only after reading the log once more
 * (so that an entry cancelled or removed in the meantime never shows as ended) and after whitelist.list
 * shows the device, on its own clock, no longer holds the entry; a failed read or an entry still held
 * tries again later. An address removed in its hold ends it at once (reason 'removed'); a cancelled
 * entry yields whitelist.cancelled and no hold_ended. Holds still running when the feed starts are read from whitelist.list.
 */
export class AuditEventFeed {
  private readonly appliance: EventSourceAppliance;
  private readonly pollMs: number;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (t: unknown) => void;
  private readonly fromSeq: number | undefined;
  private readonly maxLogReplay: number;
  private nextSeq: number | undefined;
  /** The position of the last event no longer in `recent` (or just before the first seq read). */
  private floor: Pos | undefined;
  private running = false;
  private starting: Promise<void> | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly subscribers = new Set<Subscriber>();
  private readonly recent: BridgeEvent[] = [];
  /** whitelist.propose details by proposal id, for hold events of entries that do not carry them. */
  private readonly proposals = new Map<string, Json>();
  private readonly holds = new Map<string, Hold>();
  /** The seq the last hold_ended was numbered after, and how many ended there (ids stay unique). */
  private holdEnds: { seq: number; n: number } = { seq: -1, n: 0 };
  private holdFailures = 0;

  constructor(opts: AuditEventFeedOptions) {
    this.appliance = opts.appliance;
    this.pollMs = opts.pollMs ?? 1000;
    this.fromSeq = opts.fromSeq;
    this.maxLogReplay = opts.maxLogReplay ?? MAX_LOG_REPLAY;
    this.now = opts.now ?? Date.now;
    this.setTimer =
      opts.setTimer ??
      ((fn, ms) => {
        const t = setTimeout(fn, ms);
        t.unref();
        return t;
      });
    this.clearTimer = opts.clearTimer ?? ((t) => clearTimeout(t as NodeJS.Timeout));
  }

  /** Reads the head (or takes fromSeq) and begins polling. Idempotent; never rejects (an unreachable appliance is retried). */
  start(): Promise<void> {
    if (this.starting) return this.starting;
    this.running = true;
    this.failures = 0;
    const arm = (): void => this.arm();
    this.starting = this.pollNow().then(arm, arm);
    return this.starting;
  }

  /** Stops polling and hold timers and ends every subscriber's stream (onStop). */
  stop(): void {
    this.running = false;
    this.starting = undefined;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
    for (const h of this.holds.values()) if (h.timer !== undefined) this.clearTimer(h.timer);
    this.holds.clear();
    const subs = [...this.subscribers];
    this.subscribers.clear();
    for (const s of subs) s.onStop?.();
  }

  subscribe(fn: (e: BridgeEvent) => void, opts: SubscribeOptions = {}): () => void {
    const sub: Subscriber = { fn, onStop: opts.onStop, viewer: opts.viewer, queue: undefined, skipThrough: undefined };
    const after = parseEventId(opts.afterId);
    if (after && opts.afterId !== undefined) {
      if (this.floor && cmpPos(after, this.floor) >= 0) {
        // Still in memory: everything after that event (by id, so holds ended at one seq keep their order).
        const at = this.recent.findIndex((e) => e.id === opts.afterId);
        for (const e of at >= 0 ? this.recent.slice(at + 1) : this.recent.filter((x) => cmpPos(posOf(x), after) > 0)) deliver(sub, e);
      } else {
        // Older than this process remembers (a restarted bridge, or a long absence): read the log again.
        sub.queue = [];
        void this.replayFromLog(sub, after);
      }
    }
    this.subscribers.add(sub);
    return () => {
      this.subscribers.delete(sub);
    };
  }

  /** Reads every entry appended since the last poll, now; polls never overlap. Rejects on appliance errors. */
  pollNow(): Promise<void> {
    const run = this.chain.then(() => this.catchUp());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private arm(): void {
    if (!this.running || this.pollTimer) return;
    // After failures, back off exponentially (appliance down or restarting), up to 30 s.
    const ms = this.failures === 0 ? this.pollMs : Math.min(this.pollMs * 2 ** this.failures, MAX_BACKOFF_MS);
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      const arm = (): void => this.arm();
      void this.pollNow().then(arm, arm);
    }, ms);
    this.pollTimer.unref();
  }

  private async catchUp(): Promise<void> {
    try {
      if (this.nextSeq === undefined) {
        let first: number;
        if (this.fromSeq !== undefined) first = this.fromSeq;
        else {
          const head = await this.appliance.call('audit.list', { limit: 1 });
          first = Number(head.headSeq) + 1;
          await this.seedHolds();
        }
        this.nextSeq = first;
        this.floor = [first - 1, Number.MAX_SAFE_INTEGER];
      }
      for (;;) {
        const page = await this.appliance.call('audit.list', { fromSeq: this.nextSeq, limit: PAGE_LIMIT });
        if (!this.running) return;
        const headSeq = Number(page.headSeq);
        // A shorter log than we have read means a different or re-provisioned device: follow its head.
        if (Number.isSafeInteger(headSeq) && headSeq + 1 < this.nextSeq) this.nextSeq = headSeq + 1;
        const entries = Array.isArray(page.entries) ? (page.entries as Record<string, unknown>[]) : [];
        const before: number | undefined = this.nextSeq;
        for (const e of entries) {
          const seq = Number(e.seq);
          if (!Number.isSafeInteger(seq) || seq < this.nextSeq) continue;
          this.nextSeq = seq + 1;
          const payload = decodePayload(e.entry);
          if (payload) this.ingest(payload, seq);
        }
        // Caught up, or a page that moved nothing (a misbehaving peer must not spin us).
        if (this.nextSeq === before || !Number.isSafeInteger(headSeq) || this.nextSeq > headSeq) break;
      }
      this.failures = 0;
    } catch (err) {
      this.failures++;
      throw err;
    }
  }

  /** Holds still running when the feed starts from the head (their hold_started came before it). */
  private async seedHolds(): Promise<void> {
    for (let offset = 0; offset < 1_000_000; offset += 1000) {
      const page = await this.appliance.call('whitelist.list', { limit: 1000, offset });
      const entries = Array.isArray(page.entries) ? (page.entries as Record<string, unknown>[]) : [];
      for (const e of entries) {
        if (e.inHold !== true || typeof e.activeAt !== 'number' || typeof e.proposalId !== 'string') continue;
        const data = { proposalId: e.proposalId, activeAt: e.activeAt, ...pick(e, ['group', 'chainId', 'label']), address: String(json(e.address)).toLowerCase() };
        this.startHold(e.proposalId, e.activeAt, data);
      }
      if (entries.length < 1000) return;
    }
  }

  private ingest(payload: Record<string, unknown>, seq: number): void {
    if (auditKindOf(payload) === 'whitelist.propose' && typeof payload.proposalId === 'string') {
      this.proposals.set(payload.proposalId, pick(payload, ['group', 'chainId', 'address', 'label']));
      if (this.proposals.size > MAX_REMEMBERED_PROPOSALS) this.proposals.delete(this.proposals.keys().next().value as string);
    }
    const events = eventsFromEntry(payload, seq);
    for (const e of events) {
      if (e.type !== 'whitelist.hold_started' && e.type !== 'whitelist.cancelled') {
        this.emit(e);
        continue;
      }
      const proposalId = String(payload.proposalId);
      const known = this.proposals.get(proposalId);
      e.data = { ...known, ...e.data };
      this.emit(e);
      if (e.type === 'whitelist.cancelled') {
        // Cancelled in its hold: the entry never becomes active, so its hold never "ends".
        this.proposals.delete(proposalId);
        this.dropHold(proposalId);
      } else if (typeof payload.activeAt === 'number') {
        const { approvedBy: _approvedBy, ...data } = e.data;
        this.startHold(proposalId, payload.activeAt, { ...data, proposalId, activeAt: payload.activeAt });
      }
    }
    if (auditKindOf(payload) === 'whitelist.remove') this.endRemovedHolds(payload, seq, events.length);
  }

  private dropHold(proposalId: string): void {
    const h = this.holds.get(proposalId);
    if (h?.timer !== undefined) this.clearTimer(h.timer);
    this.holds.delete(proposalId);
  }

  private startHold(proposalId: string, activeAt: number, data: Json): void {
    this.dropHold(proposalId);
    const hold: Hold = { activeAt, data, timer: undefined };
    this.holds.set(proposalId, hold);
    const check = (): void => {
      if (this.holds.get(proposalId) !== hold) return;
      const left = activeAt * 1000 - this.now();
      if (left > 0) {
        hold.timer = this.setTimer(check, Math.min(left, MAX_TIMER_MS));
        return;
      }
      // Due on this host's clock: read the log first, so a cancel or removal made before now ends the
      // hold instead; then ask the appliance, which judges the hold on its own time. Only a read that
      // succeeded and an entry the device no longer holds end it; anything else tries again later.
      hold.timer = undefined;
      void this.confirmEnded(proposalId, hold).then(
        (left) => {
          if (this.holds.get(proposalId) !== hold || !this.running) return;
          this.holdFailures = 0;
          if (left === 'gone') return void this.holds.delete(proposalId);
          if (left === 0) return this.endHold(proposalId, hold);
          hold.timer = this.setTimer(check, Math.min(Math.max(left * 1000, this.pollMs), MAX_TIMER_MS));
        },
        () => {
          if (this.holds.get(proposalId) !== hold || !this.running) return;
          this.holdFailures++;
          hold.timer = this.setTimer(check, Math.min(this.pollMs * 2 ** this.holdFailures, MAX_BACKOFF_MS));
        },
      );
    };
    check();
  }

  /**
   * After reading the log up to now: 0 when the appliance lists the entry out of its hold, the seconds
   * left on the device's clock when it still holds it, 'gone' when it lists no such entry (cancelled or
   * removed: those entries end or drop the hold themselves). Rejects when either read fails.
   */
  private async confirmEnded(proposalId: string, hold: Hold): Promise<number | 'gone'> {
    await this.pollNow();
    if (this.holds.get(proposalId) !== hold) return 'gone';
    for (let offset = 0; offset < 1_000_000; offset += 1000) {
      const page = await this.appliance.call('whitelist.list', { limit: 1000, offset });
      const entries = Array.isArray(page.entries) ? (page.entries as Record<string, unknown>[]) : [];
      const e = entries.find((x) => x.proposalId === proposalId);
      if (e) {
        if (e.inHold !== true) return 0;
        const left = typeof e.activeAt === 'number' && typeof page.now === 'number' ? e.activeAt - page.now : 1;
        return Math.max(left, 1);
      }
      if (entries.length < 1000) return 'gone';
    }
    return 'gone';
  }

  private endHold(proposalId: string, hold: Hold): void {
    this.holds.delete(proposalId);
    const seq = (this.nextSeq ?? 1) - 1;
    this.holdEnds = this.holdEnds.seq === seq ? { seq, n: this.holdEnds.n + 1 } : { seq, n: 0 };
    this.emit({ id: `${seq}~${this.holdEnds.n}~${proposalId}`, type: 'whitelist.hold_ended', seq, time: hold.activeAt, data: { ...hold.data, reason: 'elapsed' } });
  }

  /** An address removed during its hold never becomes active: its hold ends now (ids after the entry's own events). */
  private endRemovedHolds(payload: Record<string, unknown>, seq: number, k: number): void {
    const chainId = String(json(payload.chainId));
    const address = String(json(payload.address)).toLowerCase();
    const group = typeof payload.group === 'string' ? payload.group : undefined;
    for (const [proposalId, h] of this.holds) {
      if (h.data.address === undefined || String(h.data.chainId) !== chainId || String(h.data.address).toLowerCase() !== address) continue;
      if (group !== undefined && h.data.group !== group) continue;
      this.dropHold(proposalId);
      const time = typeof payload.time === 'number' ? payload.time : 0;
      this.emit({ id: k === 0 ? String(seq) : `${seq}.${k}`, type: 'whitelist.hold_ended', seq, time, data: { ...h.data, reason: 'removed' } });
      k++;
    }
  }

  /** Sends a subscriber the events after `after` read again from the log, then what arrived live meanwhile. */
  private async replayFromLog(sub: Subscriber, after: Pos): Promise<void> {
    let last: Pos = after;
    try {
      const head = Number((await this.appliance.call('audit.list', { limit: 1 })).headSeq);
      if (Number.isSafeInteger(head) && head - after[0] > this.maxLogReplay) last = after = [head - this.maxLogReplay, Number.MAX_SAFE_INTEGER];
      for (let from = Math.max(1, after[0]); ;) {
        const page = await this.appliance.call('audit.list', { fromSeq: from, limit: PAGE_LIMIT });
        const entries = Array.isArray(page.entries) ? (page.entries as Record<string, unknown>[]) : [];
        const headSeq = Number(page.headSeq);
        let moved = false;
        for (const e of entries) {
          const seq = Number(e.seq);
          if (!Number.isSafeInteger(seq) || seq < from) continue;
          from = seq + 1;
          moved = true;
          const payload = decodePayload(e.entry);
          for (const ev of payload ? eventsFromEntry(payload, seq) : []) {
            if (cmpPos(posOf(ev), after) <= 0) continue;
            if (ev.type === 'whitelist.hold_started' && payload) ev.data = { ...this.proposals.get(String(payload.proposalId)), ...ev.data };
            deliverNow(sub, ev);
            last = posOf(ev);
          }
        }
        if (!moved || !Number.isSafeInteger(headSeq) || from > headSeq) break;
      }
    } catch {
      // The appliance went away mid-read: end the stream; the client reconnects with its Last-Event-ID.
      this.subscribers.delete(sub);
      sub.onStop?.();
      return;
    }
    const queued = sub.queue ?? [];
    sub.queue = undefined;
    sub.skipThrough = last;
    for (const e of queued) deliver(sub, e);
  }

  private emit(e: BridgeEvent): void {
    this.recent.push(e);
    if (this.recent.length > REPLAY_BUFFER) {
      const dropped = this.recent.shift();
      if (dropped) this.floor = posOf(dropped);
    }
    for (const s of [...this.subscribers]) deliver(s, e);
  }
}

/** Queues the event while the subscriber replays from the log; skips what that replay already sent. */
function deliver(s: Subscriber, e: BridgeEvent): void {
  if (s.queue) {
    s.queue.push(e);
    return;
  }
  if (s.skipThrough) {
    if (cmpPos(posOf(e), s.skipThrough) <= 0) return;
    s.skipThrough = undefined;
  }
  deliverNow(s, e);
}

/** A subscriber that throws must not stop the others or the feed. */
function deliverNow(s: Subscriber, e: BridgeEvent): void {
  if (!visibleTo(e, s.viewer)) return;
  try {
    s.fn(e);
  } catch {
    // ignored: the subscriber's own problem
  }
}

/** The decoded payload of one audit entry's COSE_Sign1 (attestation/audit-entry-view.ts), or undefined when it cannot be read. */
function decodePayload(entry: unknown): Record<string, unknown> | undefined {
  if (!(entry instanceof Uint8Array)) return undefined;
  try {
    return entryPayload(entry);
  } catch {
    return undefined;
  }
}

export interface SseOptions {
  /** The request's Last-Event-ID header: the events after it are sent first (from memory or the log). */
  lastEventId?: string | null | undefined;
  /** Who reads: an orchestrator-only token sees its own requests' events only. */
  viewer?: EventViewer;
  /** Interval of `: keep-alive` comments (default 15 s). */
  keepAliveMs?: number;
}

/** Frames queued for one slow client beyond this close its stream; its EventSource reconnects and replays. */
const MAX_QUEUED_FRAMES = 1000;

/** A text/event-stream Response for one subscriber; it ends when `signal` aborts, the client cancels or the feed stops. */
export function sseResponse(feed: AuditEventFeed, signal: AbortSignal, opts: SseOptions = {}): Response {
  const encoder = new TextEncoder();
  const last = parseEventId(opts.lastEventId) ? (opts.lastEventId as string) : undefined;
  let end = (): void => {};
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        let closed = false;
        let keepAlive: NodeJS.Timeout | undefined;
        let unsubscribe = (): void => {};
        const close = (): void => {
          if (closed) return;
          closed = true;
          unsubscribe();
          if (keepAlive) clearInterval(keepAlive);
          signal.removeEventListener('abort', close);
          try {
            controller.close();
          } catch {
            // already cancelled by the reader
          }
        };
        const send = (text: string): void => {
          if (closed) return;
          if ((controller.desiredSize ?? 0) < -MAX_QUEUED_FRAMES) return close();
          controller.enqueue(encoder.encode(text));
        };
        end = close;
        send('retry: 5000\n\n');
        unsubscribe = feed.subscribe((e) => send(sseFrame(e)), { ...(last === undefined ? {} : { afterId: last }), ...(opts.viewer ? { viewer: opts.viewer } : {}), onStop: close });
        keepAlive = setInterval(() => send(': keep-alive\n\n'), opts.keepAliveMs ?? 15_000);
        keepAlive.unref();
        if (signal.aborted) close();
        else signal.addEventListener('abort', close, { once: true });
      },
      cancel() {
        end();
      },
    },
    { highWaterMark: 1 },
  );
  return new Response(body, {
    status: 200,
    headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache, no-transform', 'X-Accel-Buffering': 'no' },
  });
}
