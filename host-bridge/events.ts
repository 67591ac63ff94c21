// GET /v1/events: server-sent events (WHATWG HTML "Server-sent events", text/event-stream) that tell
// users and admins what the appliance decided: whitelist holds starting and ending, requests waiting
// for approval, policy changes proposed, scheduled, activated or cancelled, denials and signatures.
// The bridge decides nothing, so it derives every event from the appliance's attested audit log
// (audit.list), which already records each of these decisions. Events are notifications, not
// evidence: the bridge does not verify entry signatures here; auditors verify the export offline.
import { decodeCanonical, type CborValue } from '../protocol/cbor.js';
import { decodeCoseSign1 } from '../attestation/cose-sign1.js';
import { cborToJson } from './json-cbor.js';

export type BridgeEventType =
  | 'whitelist.hold_started'
  | 'whitelist.hold_ended'
  | 'approval.needed'
  | 'policy.proposed'
  | 'policy.scheduled'
  | 'policy.activated'
  | 'policy.cancelled'
  | 'sign.denied'
  | 'sign.signed';

export interface BridgeEvent {
  /** Monotonically increasing per bridge process (the SSE id); hold_ended events get their own. */
  id: number;
  type: BridgeEventType;
  /** The audit seq this event derives from. */
  seq: number;
  /** Unix seconds (the appliance's clock): the entry's time, or activeAt for an elapsed hold. */
  time: number;
  /** JSON-safe: bytes as 0x hex, big integers as decimal strings. */
  data: Record<string, unknown>;
}

export interface EventSourceAppliance {
  call(cmd: 'audit.list' | 'health', args?: Record<string, unknown>): Promise<Record<string, unknown>>;
}

export interface AuditEventFeedOptions {
  appliance: EventSourceAppliance;
  /** Delay between polls when caught up (default 1000 ms); failures back off up to 30 s. */
  pollMs?: number;
  /** First audit seq to deliver; default: the head at start, so only new entries become events. */
  fromSeq?: number;
  /** Milliseconds since the epoch (default Date.now); activeAt (seconds) is compared against it. */
  now?: () => number;
  /** Timer for hold_ended (default: an unref'd setTimeout). */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
}

export interface SubscribeOptions {
  /** Replay the buffered events with a larger id first (SSE Last-Event-ID after a reconnect). */
  afterId?: number;
  /** Called once when the feed stops, so a stream can end. */
  onStop?: () => void;
}

const PAGE_LIMIT = 500;
const MAX_BACKOFF_MS = 30_000;
const MAX_TIMER_MS = 2 ** 31 - 1; // setTimeout's limit (~24.8 days); longer holds re-arm
const REPLAY_BUFFER = 1000;
const MAX_REMEMBERED_PROPOSALS = 10_000;

type Json = Record<string, unknown>;

const json = (v: unknown): unknown => cborToJson(v as CborValue);

/** The listed fields of `payload` that are present, converted to JSON-safe values. */
function pick(payload: Record<string, unknown>, keys: readonly string[]): Json {
  const out: Json = {};
  for (const k of keys) if (payload[k] !== undefined) out[k] = json(payload[k]);
  return out;
}

/**
 * Pure mapping of one decoded audit payload to 0..n events. Ids are 0 here: the feed assigns them.
 * Unknown kinds, and outcomes that tell nobody anything (pending, rejected), produce nothing.
 */
export function eventsFromEntry(payload: Record<string, unknown>, seq: number): BridgeEvent[] {
  const time = typeof payload.time === 'number' ? payload.time : 0;
  const ev = (type: BridgeEventType, keys: readonly string[]): BridgeEvent[] => [{ id: 0, type, seq, time, data: pick(payload, keys) }];
  switch (payload.kind) {
    case 'whitelist.approve':
      return payload.outcome === 'accepted' ? ev('whitelist.hold_started', ['proposalId', 'activeAt', 'approvedBy']) : [];
    case 'sign.evm-tx':
    case 'request.approve':
      if (payload.outcome === 'needs_approval') return ev('approval.needed', ['requestId', 'keyId', 'intentDigest', 'approvedBy', 'reasons']);
      if (payload.outcome === 'deny') return ev('sign.denied', ['requestId', 'keyId', 'intentDigest', 'reasons']);
      if (payload.outcome === 'allow' && payload.result === 'signed') return ev('sign.signed', ['requestId', 'keyId', 'intentDigest', 'txHash', 'approvedBy']);
      return [];
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

/** One event as an SSE frame; the data line is the whole event as JSON (JSON never contains a raw newline). */
export function sseFrame(e: BridgeEvent): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify({ id: e.id, type: e.type, seq: e.seq, time: e.time, data: e.data })}\n\n`;
}

interface Hold {
  seq: number;
  activeAt: number;
  data: Json;
  timer: unknown;
}

interface Subscriber {
  fn: (e: BridgeEvent) => void;
  onStop: (() => void) | undefined;
}

/**
 * Polls audit.list from a starting seq, converts entries to events and fans them out. Schedules
 * whitelist.hold_ended at each accepted entry's activeAt, or at once when an address still in its
 * hold is removed (reason 'removed'). Holds that started before the feed's first seq are not known.
 */
export class AuditEventFeed {
  private readonly appliance: EventSourceAppliance;
  private readonly pollMs: number;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (t: unknown) => void;
  private readonly fromSeq: number | undefined;
  private nextSeq: number | undefined;
  private nextId = 1;
  private running = false;
  private starting: Promise<void> | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly subscribers = new Set<Subscriber>();
  private readonly recent: BridgeEvent[] = [];
  /** whitelist.propose details by proposal id, so hold events can name the address. */
  private readonly proposals = new Map<string, Json>();
  private readonly holds = new Map<string, Hold>();

  constructor(opts: AuditEventFeedOptions) {
    this.appliance = opts.appliance;
    this.pollMs = opts.pollMs ?? 1000;
    this.fromSeq = opts.fromSeq;
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
    const sub: Subscriber = { fn, onStop: opts.onStop };
    const after = opts.afterId;
    // An id beyond ours came from another bridge process: nothing of ours to replay.
    if (after !== undefined && after < this.nextId) for (const e of this.recent) if (e.id > after) deliver(sub, e);
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
        if (this.fromSeq !== undefined) this.nextSeq = this.fromSeq;
        else {
          const head = await this.appliance.call('audit.list', { limit: 1 });
          this.nextSeq = Number(head.headSeq) + 1;
        }
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

  private ingest(payload: Record<string, unknown>, seq: number): void {
    if (payload.kind === 'whitelist.propose' && typeof payload.proposalId === 'string') {
      this.proposals.set(payload.proposalId, pick(payload, ['group', 'chainId', 'address', 'label']));
      if (this.proposals.size > MAX_REMEMBERED_PROPOSALS) this.proposals.delete(this.proposals.keys().next().value as string);
    }
    for (const e of eventsFromEntry(payload, seq)) {
      if (e.type !== 'whitelist.hold_started') {
        this.emit(e);
        continue;
      }
      const proposalId = String(payload.proposalId);
      const known = this.proposals.get(proposalId);
      this.proposals.delete(proposalId);
      e.data = { ...e.data, ...known };
      this.emit(e);
      if (typeof payload.activeAt === 'number') this.startHold(proposalId, seq, payload.activeAt, { proposalId, activeAt: payload.activeAt, ...known });
    }
    if (payload.kind === 'whitelist.remove') this.endRemovedHolds(payload, seq);
  }

  private startHold(proposalId: string, seq: number, activeAt: number, data: Json): void {
    const old = this.holds.get(proposalId);
    if (old?.timer !== undefined) this.clearTimer(old.timer);
    const hold: Hold = { seq, activeAt, data, timer: undefined };
    this.holds.set(proposalId, hold);
    const check = (): void => {
      if (this.holds.get(proposalId) !== hold) return;
      const left = activeAt * 1000 - this.now();
      if (left > 0) {
        hold.timer = this.setTimer(check, Math.min(left, MAX_TIMER_MS));
        return;
      }
      this.holds.delete(proposalId);
      this.emit({ id: 0, type: 'whitelist.hold_ended', seq, time: activeAt, data: { ...data, reason: 'elapsed' } });
    };
    check();
  }

  /** An address removed during its hold never becomes active: its hold ends now. */
  private endRemovedHolds(payload: Record<string, unknown>, seq: number): void {
    const chainId = String(json(payload.chainId));
    const address = String(json(payload.address)).toLowerCase();
    const group = typeof payload.group === 'string' ? payload.group : undefined;
    for (const [proposalId, h] of this.holds) {
      if (h.data.address === undefined || String(h.data.chainId) !== chainId || String(h.data.address).toLowerCase() !== address) continue;
      if (group !== undefined && h.data.group !== group) continue;
      if (h.timer !== undefined) this.clearTimer(h.timer);
      this.holds.delete(proposalId);
      const time = typeof payload.time === 'number' ? payload.time : 0;
      this.emit({ id: 0, type: 'whitelist.hold_ended', seq, time, data: { ...h.data, reason: 'removed' } });
    }
  }

  private emit(e: BridgeEvent): void {
    e.id = this.nextId++;
    this.recent.push(e);
    if (this.recent.length > REPLAY_BUFFER) this.recent.shift();
    for (const s of [...this.subscribers]) deliver(s, e);
  }
}

/** A subscriber that throws must not stop the others or the feed. */
function deliver(s: Subscriber, e: BridgeEvent): void {
  try {
    s.fn(e);
  } catch {
    // ignored: the subscriber's own problem
  }
}

/** The decoded payload of one audit entry's COSE_Sign1, or undefined when it cannot be read. */
function decodePayload(entry: unknown): Record<string, unknown> | undefined {
  if (!(entry instanceof Uint8Array)) return undefined;
  try {
    const bytes = decodeCoseSign1(entry).payload;
    if (!bytes) return undefined;
    const v = decodeCanonical(bytes);
    return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Map) ? v : undefined;
  } catch {
    return undefined;
  }
}

export interface SseOptions {
  /** The request's Last-Event-ID header: buffered events after it are sent first. */
  lastEventId?: string | null | undefined;
  /** Interval of `: keep-alive` comments (default 15 s). */
  keepAliveMs?: number;
}

/** Frames queued for one slow client beyond this close its stream; its EventSource reconnects and replays. */
const MAX_QUEUED_FRAMES = 1000;

/** A text/event-stream Response for one subscriber; it ends when `signal` aborts, the client cancels or the feed stops. */
export function sseResponse(feed: AuditEventFeed, signal: AbortSignal, opts: SseOptions = {}): Response {
  const encoder = new TextEncoder();
  const last = opts.lastEventId && /^[0-9]{1,15}$/.test(opts.lastEventId) ? Number(opts.lastEventId) : undefined;
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
        unsubscribe = feed.subscribe((e) => send(sseFrame(e)), { afterId: last, onStop: close });
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
