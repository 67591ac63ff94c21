// Every refusal of a well-framed command is audited (docs/auditors.md "Refusals in the audit log"), and a flood
// of identical refusals stays cheap: the first of a kind is written at once (one signed entry), the
// identical ones after it are counted in memory and written as one `refusal.repeated` entry with the
// count, the first and last time and the digest that names the first entry. A count is written when
// it reaches `maxRepeats`, when its window (device clock) ends, and when the device closes; a crash
// loses at most the counts not yet written, never a first entry.
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeCanonical, sha256Canonical, type CborMap } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';
import type { Command } from '../protocol/messages.js';
import type { AuditFields } from '../protocol/audit-kinds.js';
import type { AuditLog } from './state/audit-log.js';

export interface RefusalLimits {
  /** Seconds (device clock) a first entry keeps counting its repeats before the count is written. */
  windowSeconds: number;
  /** Repeats folded into one `refusal.repeated` entry at most. */
  maxRepeats: number;
  /** Distinct refusals counted apart in one window; beyond, new ones are counted per command and code. */
  maxDistinct: number;
}

export const DEFAULT_REFUSAL_LIMITS: RefusalLimits = { windowSeconds: 60, maxRepeats: 1000, maxDistinct: 256 };

interface Counter {
  digest: Uint8Array;
  command: string;
  firstSeq: number;
  openedAt: number;
  repeats: number;
  firstAt: number;
  lastAt: number;
  /** Opened for refusals over `maxDistinct`, by command and code only. */
  folded: boolean;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

export class RefusalLog {
  private readonly open = new Map<string, Counter>();
  /** Open counters of distinct refusals (not the folded ones). */
  private distinct = 0;
  private nextDue = Infinity;

  constructor(
    private readonly audit: Pick<AuditLog, 'append'>,
    /** The sealed transaction every audit append runs in. */
    private readonly transaction: <T>(fn: () => T) => T,
    private readonly clock: () => number,
    private readonly limits: RefusalLimits = DEFAULT_REFUSAL_LIMITS,
  ) {}

  /**
   * Records one refusal described by `fields` (its audit payload, without seq and time). Returns the
   * seq of the entry that names it: its own, or the first identical one's when it is counted.
   */
  record(fields: AuditFields): number {
    const now = this.clock();
    this.flushDue(now);
    let digest = sha256(encodeCanonical(fields));
    let key = hex(digest);
    let entry = fields;
    let folded = false;
    if (!this.open.has(key) && this.distinct >= this.limits.maxDistinct) {
      folded = true;
      // Too many different refusals in one window (e.g. a requester name varied per frame): fold
      // the rest by command and code, so the number of entries stays bounded.
      entry = { kind: 'refusal', command: commandOf(fields), code: typeof fields.code === 'string' ? fields.code : 'denied', varied: true };
      digest = sha256(encodeCanonical(entry));
      key = hex(digest);
    }
    const counter = this.open.get(key);
    if (counter) {
      counter.repeats++;
      if (counter.repeats === 1) counter.firstAt = now;
      counter.lastAt = now;
      if (counter.repeats >= this.limits.maxRepeats) {
        this.transaction(() => this.writeCount(counter, now));
        counter.repeats = 0; // reset only once the count is committed
      }
      return counter.firstSeq;
    }
    const stored = this.transaction(() => this.audit.append(now, { ...entry, refusalDigest: digest }));
    this.open.set(key, { digest, command: commandOf(entry), firstSeq: stored.seq, openedAt: now, repeats: 0, firstAt: now, lastAt: now, folded });
    if (!folded) this.distinct++;
    this.nextDue = Math.min(this.nextDue, now + this.limits.windowSeconds);
    return stored.seq;
  }

  /** Writes the counts whose window has ended (device clock) and forgets those refusals. Returns the entries written. */
  flushDue(now = this.clock()): number {
    if (now < this.nextDue) return 0;
    const due = [...this.open].filter(([, c]) => c.openedAt + this.limits.windowSeconds <= now);
    const written = this.closeAll(due, now);
    this.nextDue = Math.min(Infinity, ...[...this.open.values()].map((c) => c.openedAt + this.limits.windowSeconds));
    return written;
  }

  /** Writes every pending count (the device is closing). Returns the entries written. */
  flushAll(): number {
    const written = this.closeAll([...this.open], this.clock());
    this.nextDue = Infinity;
    return written;
  }

  /** Repeats counted in memory and not yet written (what a crash now would lose). */
  pending(): number {
    let n = 0;
    for (const c of this.open.values()) n += c.repeats;
    return n;
  }

  private closeAll(counters: [string, Counter][], now: number): number {
    if (counters.length === 0) return 0;
    let written = 0;
    const withCounts = counters.filter(([, c]) => c.repeats > 0);
    if (withCounts.length > 0) {
      this.transaction(() => {
        for (const [, c] of withCounts) {
          this.writeCount(c, now);
          written++;
        }
      });
    }
    for (const [key, c] of counters) {
      this.open.delete(key);
      if (!c.folded) this.distinct--;
    }
    return written;
  }

  private writeCount(c: Counter, now: number): void {
    this.audit.append(now, { kind: 'refusal.repeated', command: c.command, refusalDigest: c.digest, firstSeq: c.firstSeq, repeats: c.repeats, firstAt: c.firstAt, lastAt: c.lastAt });
  }
}

function commandOf(fields: CborMap): string {
  if (typeof fields.command === 'string') return fields.command;
  return typeof fields.kind === 'string' ? fields.kind : 'unknown';
}

/** Requester, as the command names it (requests name a requester, approvals an approver or admin). */
function who(args: CborMap): string | null {
  for (const f of ['requester', 'approverId', 'adminId']) {
    const v = args[f];
    if (typeof v === 'string' && v.length > 0 && v.length <= 128) return v;
  }
  return null;
}

/** What the command was about (a request, a proposal, a key), when it says so in a readable form. */
function subjectOf(args: CborMap): string | null {
  for (const f of ['requestId', 'proposalId', 'keyId']) {
    const v = args[f];
    if (typeof v === 'string' && v.length > 0 && v.length <= 128) return v;
  }
  return null;
}

/** The longest text a refusal entry keeps of one detail, and of all its details together. */
export const MAX_DETAIL_TEXT = 128;
export const MAX_DETAILS_BYTES = 2048;

/**
 * The error's details as plain CBOR (bigints as decimal strings, as on the wire), bounded: details may
 * carry what the caller sent (an unknown field's name, say), so each text is cut to MAX_DETAIL_TEXT
 * characters and each list to 16 items; details still larger than MAX_DETAILS_BYTES are kept as their
 * digest only. A refusal entry's size never depends on the size of what was refused.
 */
export function detailsOf(err: ApplianceError): CborMap | null {
  if (!err.details) return null;
  const bounded = JSON.stringify(err.details, (_k, v: unknown) => {
    if (typeof v === 'bigint') v = v.toString();
    if (typeof v === 'string' && v.length > MAX_DETAIL_TEXT) return `${v.slice(0, MAX_DETAIL_TEXT)}… (${v.length} characters)`;
    if (Array.isArray(v) && v.length > 16) return [...v.slice(0, 16), `… (${v.length} items)`];
    return v;
  });
  if (bounded.length > MAX_DETAILS_BYTES) return { truncated: true, digest: sha256Canonical({ details: bounded }) };
  return JSON.parse(bounded) as CborMap;
}

/**
 * Whether the dispatcher audits this error: a typed refusal that no one audited yet. Faults
 * (`internal`) stay in the operational log; the sealed-state refusals are audited once per episode
 * by the sealed state itself; an error that carries `auditSeq` was audited by its handler.
 */
export function needsRefusalAudit(err: unknown): err is ApplianceError {
  if (!(err instanceof ApplianceError) || err.code === 'internal') return false;
  const d = err.details;
  return !(d && (typeof d.auditSeq === 'number' || d.rule === 'sealed-state'));
}

/**
 * The audit payload of a refused well-framed command. `argsDigest` names exactly the arguments that
 * were refused (without storing what an attacker sent): the same request refused the same way is
 * one refusal, counted; a different one is its own entry.
 */
export function refusalFields(cmd: Command, args: CborMap, err: ApplianceError): AuditFields {
  return {
    kind: 'refusal',
    command: cmd,
    code: err.code,
    requester: who(args),
    subject: subjectOf(args),
    argsDigest: sha256Canonical(args),
    message: err.message.slice(0, 256),
    details: detailsOf(err),
  };
}

/** The same error, with the seq of the audit entry that records it in its details. */
export function withAuditSeq(err: ApplianceError, seq: number): ApplianceError {
  return new ApplianceError(err.code, err.message, { ...(err.details ?? {}), auditSeq: seq }, { cause: err });
}
