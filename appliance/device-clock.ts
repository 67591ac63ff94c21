// The device's own time (docs/device-time.md; DESIGN.md invariant 10). The host is untrusted for
// time: its wall clock may be read, never believed forward. The device's time starts at boot from
// the last time the device itself sealed (its checkpoint and the token's anchor), advances only as
// fast as the monotonic clock while the process runs, and moves forward faster only by an
// admin-quorum time statement carrying the nonce this clock handed out (commands/device-time-attest.ts).
// That time is the earliest plausible now (holds, time locks, window expiry); the host clock, never
// below it, is the latest plausible now (approval expiry).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ApplianceError } from '../protocol/errors.js';
import type { TimeBounds } from '../firmware-policy/device-time.js';
import type { Device } from './device.js';

const NS_PER_S = 1_000_000_000n;

export interface ClockSources {
  /** The host's wall clock, unix seconds: untrusted, read for the latest plausible now. */
  host: () => number;
  /** A monotonic clock in nanoseconds: its origin means nothing, its rate is trusted. */
  monotonicNs: () => bigint;
}

/** The process's clocks; `hostOffsetSeconds` shifts the host reading (a test's stand-in for a host clock moved). */
export function systemClockSources(hostOffsetSeconds = 0): ClockSources {
  return { host: () => Math.floor(Date.now() / 1000) + hostOffsetSeconds, monotonicNs: guardedMonotonic(() => process.hrtime.bigint(), readUptimeNs) };
}

/**
 * The kernel's uptime in nanoseconds, read from /proc/uptime (10 ms resolution), or undefined where
 * there is none. It is a plain read of a file: libfaketime, which intercepts clock_gettime (and so
 * process.hrtime) in the process it is preloaded into, does not move it.
 */
export function readUptimeNs(): bigint | undefined {
  try {
    const m = /^(\d+)\.(\d{2})\s/.exec(readFileSync('/proc/uptime', 'latin1'));
    return m ? BigInt(m[1]!) * NS_PER_S + BigInt(m[2]!) * 10_000_000n : undefined;
  } catch {
    return undefined;
  }
}

/** How long (by the process's own clock) one uptime reading is reused: the clock is read often. */
const UPTIME_REUSE_NS = 5_000_000n;

/**
 * A monotonic clock that a preloaded clock library cannot speed up: the time elapsed since it was
 * made is the smaller of what the process's monotonic clock and the kernel's uptime say. A host that
 * jumps CLOCK_MONOTONIC forward while the device runs (libfaketime with its offset file rewritten) or
 * runs it fast (a speed factor) moves only the first of the two, so the device's time does not
 * follow. Both are non-decreasing, so their minimum is too. Without /proc/uptime it is the process's
 * clock alone. An uptime reading is reused for a few milliseconds: a stale one only slows the clock.
 */
export function guardedMonotonic(hr: () => bigint, uptime: () => bigint | undefined): () => bigint {
  const hr0 = hr();
  const up0 = uptime();
  let lastRead = hr0;
  let up = up0;
  return () => {
    const h = hr();
    if (up0 === undefined) return h - hr0;
    if (h - lastRead >= UPTIME_REUSE_NS || h < lastRead) {
      up = uptime() ?? up;
      lastRead = h;
    }
    const byUptime = up! - up0;
    const byProcess = h - hr0;
    return byUptime < byProcess ? byUptime : byProcess;
  };
}

/** How often (device seconds) the running device seals its time, so a restart loses at most this much. */
export const TIME_SEAL_INTERVAL_SECONDS = 60;

export class DeviceClock {
  private base: number | undefined;
  private baseMono = 0n;
  private currentNonce: Uint8Array | undefined;

  constructor(private readonly src: ClockSources) {}

  /**
   * At boot: continue from the last time this device is known to have reached. The time that passed
   * while it was off is unknown, so it is not counted (an admin time statement catches it up). A
   * device that never ran (no sealed time) starts from the host clock: an offset there shortens no
   * hold, since every hold, time lock and window is measured on this same clock.
   */
  resume(lastKnown: number | undefined): void {
    this.base = lastKnown ?? this.src.host();
    this.baseMono = this.src.monotonicNs();
  }

  /** The device's time (unix seconds): the earliest plausible now. */
  now(): number {
    if (this.base === undefined) throw new ApplianceError('internal', 'the device clock was read before the device booted');
    return this.base + Number((this.src.monotonicNs() - this.baseMono) / NS_PER_S);
  }

  /** What the host's wall clock says (unix seconds). */
  host(): number {
    return this.src.host();
  }

  /** Both readings, for firmware-policy: each check takes its pessimistic one. */
  bounds(): TimeBounds {
    const earliest = this.now();
    return { earliest, latest: Math.max(earliest, this.host()) };
  }

  /** Moves the device's time forward to `t` (an accepted admin time statement), never back; returns the seconds gained. */
  advanceTo(t: number): number {
    const now = this.now();
    if (t <= now) return 0;
    this.base = t;
    this.baseMono = this.src.monotonicNs();
    return t - now;
  }

  /** The state `advanceTo` changes, to undo an advance whose commit failed. */
  snapshot(): { base: number | undefined; baseMono: bigint } {
    return { base: this.base, baseMono: this.baseMono };
  }

  restore(s: { base: number | undefined; baseMono: bigint }): void {
    this.base = s.base;
    this.baseMono = s.baseMono;
  }

  /** The nonce a time statement must carry: random, in memory only (a restart makes a new one), kept until a statement uses it. */
  nonce(): Uint8Array {
    this.currentNonce ??= new Uint8Array(randomBytes(16));
    return this.currentNonce;
  }

  /** Whether `n` is the current nonce (compared in constant shape: same length, every byte). */
  isCurrentNonce(n: Uint8Array): boolean {
    const cur = this.currentNonce;
    if (!cur || cur.length !== n.length) return false;
    let diff = 0;
    for (let i = 0; i < n.length; i++) diff |= cur[i]! ^ n[i]!;
    return diff === 0;
  }

  /** A statement used the nonce: the next one is new, so that statement can never be replayed. */
  renewNonce(): void {
    this.currentNonce = new Uint8Array(randomBytes(16));
  }
}

/**
 * Seals the running device's time when the last checkpoint is TIME_SEAL_INTERVAL_SECONDS old, so a
 * restart resumes close to where the device stopped. Only the checkpoint's time moves (no audit
 * entry: no state changed). Returns whether it sealed.
 */
export function sealTimeIfDue(dev: Device): boolean {
  const committed = dev.seal.committed;
  if (!committed || dev.clock() - committed.time < TIME_SEAL_INTERVAL_SECONDS) return false;
  dev.seal.transaction(() => dev.seal.touch());
  dev.sealed.ensureAnchored();
  return true;
}
