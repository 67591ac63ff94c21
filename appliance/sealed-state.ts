// Tamper detection over the sealed state (docs/reliability.md "Sealed state"). At boot, and whenever another
// process has committed to the state database, the device checks: the token holds this device's
// seal key, anchor and attestation key; the audit log is one unbroken hash chain; every row's MAC;
// the digest and audit head against the sealed checkpoint; the checkpoint against the token's anchor
// (the database may be ahead of the anchor after a crash, never behind it nor on another history);
// and the host clock against the last time the device committed. Any finding is logged (stderr and
// one `tamper.detected` audit entry) and every key-using or state-changing command is refused from
// then on, until an operator restores the device from a backup. A host clock set back is refused only
// while it stays behind. The anchor is rewritten before any response leaves (`ensureAnchored`). At
// boot the device's own time resumes from the last time it sealed (docs/device-time.md).
import { equalBytes } from '../protocol/bytes.js';
import { ApplianceError } from '../protocol/errors.js';
import { log } from './log.js';
import type { Device } from './device.js';
import { tamperedError } from './state/state-seal.js';
import { sealedStateDetails, type SealCode } from './state/seal-codes.js';
import { compareWithAnchor, decodeAnchor, encodeAnchor, ZERO_DIGEST, type Anchor } from './state/seal-digest.js';

export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 300;

type LastSealEvent = ReturnType<Device['audit']['checkChain']>['lastSealEvent'];

export class SealedState {
  /** Findings of tampering: once there is one, the device refuses to act (latched). */
  private readonly tampered: string[] = [];
  /** Findings already in the audit log (not logged again). */
  private readonly logged = new Set<string>();
  private clockEpisode = false;
  private lastSeen = 0;
  private anchoredGen = -1;
  private anchorSlot = 0;
  private booting = false;
  private internal = false;
  private queued: { code: SealCode; findings: string[] }[] = [];

  constructor(
    private readonly dev: Device,
    readonly toleranceSeconds: number,
  ) {
    dev.seal.onFinding = (f) => this.found('state_tampered', [f]);
    // Foreign writes are looked for once per command (guard), not per transaction: PRAGMA data_version
    // costs a WAL-index read, and every command that writes passes the guard first.
    dev.seal.beforeTransaction = () => {
      if (!this.internal && this.tampered.length > 0) throw tamperedError(this.tampered);
    };
  }

  /** Uses the token's state-seal key for row MACs, if the token holds this device's. */
  attachKey(): void {
    const { keystore, config } = this.dev;
    if (!keystore.hasStateSealKey(config.deviceId)) return;
    this.dev.seal.attachKey({ hmac: (m) => this.dev.stages.time('seal', () => keystore.stateSealHmacSync(config.deviceId, m)) });
  }

  /** A new device: its seal key, its anchors (at the empty state) and the checkpoint row. Runs inside its first sealed transaction. */
  provision(): void {
    const { keystore, config } = this.dev;
    keystore.generateStateSealKey(config.deviceId);
    this.attachKey();
    const genesis: Anchor = { deviceId: config.deviceId, gen: 0, digest: ZERO_DIGEST, headSeq: 0, headHash: new Uint8Array(32), time: this.dev.clock() };
    keystore.createStateAnchors(config.deviceId, encodeAnchor(genesis));
    this.anchored = genesis;
    this.anchoredGen = 0;
    this.anchorSlot = 0;
  }

  /** The boot check; logs what it finds (one entry) and latches the refusal. */
  boot(): void {
    this.dev.deviceClock.resume(this.lastSealedTime());
    this.booting = true;
    let checked: { findings: string[]; lastSealEvent: LastSealEvent };
    try {
      checked = this.verify(true);
    } finally {
      this.booting = false;
    }
    const { findings, lastSealEvent: last } = checked;
    if (last?.code === 'state_tampered') {
      // The log already says the state was found broken (a restore starts a new device and a new log).
      for (const f of last.findings) this.logged.add(f);
      this.latch(last.findings);
    }
    const pending = this.dev.seal.pendingFindings();
    const earlier = pending.flatMap((p) => p.findings.map((f) => `noticed at ${new Date(p.at * 1000).toISOString()} while the token could not seal: ${f}`));
    const all = [...findings, ...earlier];
    if (all.length > 0) {
      this.latch(all);
      this.anchoredGen = -1; // from here the anchor follows the log (the detection entry becomes its head)
      log('error', 'sealed state broken: the device refuses to sign or change state', { code: 'state_tampered', findings: all.join(' | ') });
      if (earlier.length > 0 || findings.some((f) => !this.logged.has(f))) this.append('state_tampered', all, findings);
    } else if (this.tampered.length > 0) {
      log('error', 'sealed state was found broken earlier and not restored since: the device refuses to sign or change state', { code: 'state_tampered', findings: this.tampered.join(' | ') });
    } else if (this.dev.seal.needsReseal()) {
      // A device sealed before the row key, found intact: its rows are MACed under the row key now, once.
      const rows = this.dev.seal.transaction(() => this.dev.seal.resealRows());
      log('info', 'sealed state: rows MACed again under the row key (a one-time upgrade of an older device)', { rows });
    }
    const clock = this.clockFinding(this.dev.deviceClock.host());
    if (clock) {
      this.clockEpisode = true;
      log('error', 'clock set back: the device refuses to sign or change state', { code: 'clock_rollback', finding: clock });
      this.append('clock_rollback', [clock], []);
    }
    this.ensureAnchored();
  }

  /**
   * The last time this device sealed: its token anchors' time, and its checkpoint's when the token's
   * MAC vouches for it (an edited checkpoint cannot move the device's time). Undefined for a device
   * that never sealed.
   */
  private lastSealedTime(): number | undefined {
    const { keystore, seal, config } = this.dev;
    const times = keystore
      .readStateAnchors(config.deviceId)
      .map((b) => (b ? decodeAnchor(b) : undefined))
      .filter((a): a is Anchor => a !== undefined && a.deviceId === config.deviceId)
      .map((a) => a.time);
    const cp = seal.hasKey() ? seal.readCheckpoint() : undefined;
    if (cp?.genuine) times.push(cp.checkpoint.time);
    return times.length > 0 ? Math.max(...times) : undefined;
  }

  /**
   * Everything the device can check about its state: token objects, audit chain, row MACs, the
   * checkpoint and the anchor. At boot the anchors come from the token; later from memory.
   */
  private verify(atBoot: boolean): { findings: string[]; lastSealEvent: LastSealEvent } {
    const { dev } = this;
    const { keystore, seal, audit, config } = dev;
    const findings: string[] = [];
    const cp = seal.readCheckpoint();
    const identity = dev.meta.identity();
    const anchors = keystore.readStateAnchors(config.deviceId).map((b, slot) => ({ slot, anchor: b ? decodeAnchor(b) : undefined }));
    const valid = anchors.filter((a): a is { slot: number; anchor: Anchor } => a.anchor !== undefined && a.anchor.deviceId === config.deviceId);
    if (!identity && !cp) {
      if (seal.hasKey() || valid.length > 0) findings.push("the state database is empty but the token holds this device's sealed state (the database was deleted or replaced)");
      return { findings, lastSealEvent: undefined };
    }
    if (!seal.hasKey()) findings.push("the token holds no state-seal key for this device (the token was swapped or is not this device's)");
    if (valid.length === 0) findings.push("the token holds no state anchor for this device (the token was swapped or is not this device's)");
    if (identity && !keystore.hasPrivateKey(identity.attestationKeyId)) findings.push("the token lacks this device's attestation key (the token was swapped or is not this device's)");
    const chain = audit.checkChain();
    findings.push(...chain.findings);
    const result = { findings, lastSealEvent: chain.lastSealEvent };
    if (!cp) {
      findings.push('the state database has no seal checkpoint');
      return result;
    }
    if (!seal.hasKey()) return result;
    const c = cp.checkpoint;
    if (!cp.genuine) findings.push('the seal checkpoint does not match its MAC (edited outside the device)');
    if (c.headSeq !== chain.head.seq || !equalBytes(c.headHash, chain.head.hash)) {
      findings.push(`the audit log ends at seq ${chain.head.seq} but the seal checkpoint records seq ${c.headSeq} (entries edited, removed or added outside the device)`);
    }
    const scan = seal.scanRows();
    findings.push(...scan.findings);
    if (!equalBytes(scan.digest, c.digest)) findings.push('the state digest does not match the seal checkpoint: a row was deleted, added, or replaced by an older version of itself');
    let anchor: Anchor | undefined;
    if (atBoot) {
      const best = valid.reduce<{ slot: number; anchor: Anchor } | undefined>((b, a) => (!b || a.anchor.gen > b.anchor.gen ? a : b), undefined);
      if (best) {
        anchor = best.anchor;
        this.anchored = best.anchor;
        this.anchorSlot = best.slot;
        this.anchoredGen = best.anchor.gen;
      }
    } else if (this.anchored) anchor = this.anchored;
    if (anchor) findings.push(...compareWithAnchor(c, anchor, (seq) => audit.hashAt(seq)));
    if (findings.length === 0 || seal.committed === undefined) seal.committed = c;
    this.lastSeen = Math.max(this.lastSeen, c.time, anchor?.time ?? 0);
    return result;
  }

  private anchored: Anchor | undefined;

  /**
   * Pins the latest committed checkpoint in the token, after putting it on disk if it is not yet
   * (a synchronous caller: boot, close, a ceremony, the time seal). The answer path uses `whenAnchored`.
   */
  ensureAnchored(): void {
    if (this.dev.db.inTransaction) return;
    this.dev.seal.syncNow();
    this.anchorDurable();
  }

  /**
   * Before an answer leaves: waits until everything committed so far is on disk (off the event loop),
   * then pins the checkpoint on disk in the token. The anchor never names a checkpoint a power loss
   * could take back, so a crash never reads as a rollback at the next boot.
   */
  async whenAnchored(): Promise<void> {
    await this.dev.seal.whenDurable();
    this.anchorDurable();
  }

  private anchorDurable(): void {
    const cp = this.dev.seal.durable;
    if (!cp || cp.gen <= this.anchoredGen || this.dev.db.inTransaction || !this.dev.seal.hasKey()) return;
    // Once the state is found broken, the anchor only follows the detection entries (written by append()).
    if (this.tampered.length > 0 && !this.internal) return;
    const anchor: Anchor = { deviceId: this.dev.config.deviceId, ...cp };
    const slot = 1 - this.anchorSlot;
    this.dev.stages.time('anchor', () => this.dev.keystore.writeStateAnchorSync(this.dev.config.deviceId, slot, encodeAnchor(anchor)));
    this.anchorSlot = slot;
    this.anchoredGen = cp.gen;
    this.anchored = anchor;
    this.lastSeen = Math.max(this.lastSeen, cp.time);
  }

  /** Refuses a key-using or state-changing command while the state is broken or the host clock is set back. */
  guard(): void {
    this.lookForForeignWrites();
    if (this.tampered.length > 0) throw tamperedError(this.tampered);
    const now = this.dev.deviceClock.host();
    const clock = this.clockFinding(now);
    if (!clock) {
      this.clockEpisode = false;
      return;
    }
    if (!this.clockEpisode) {
      this.clockEpisode = true;
      log('error', 'clock set back: the device refuses to sign or change state', { code: 'clock_rollback', finding: clock });
      this.found('clock_rollback', [clock]);
    }
    throw new ApplianceError('denied', `clock set back, the device refuses to act: ${clock}`, sealedStateDetails('clock_rollback', [clock]));
  }

  /** For device.info: whether the device accepts commands, and why not. */
  status(): { ok: boolean; findings: string[] } {
    const clock = this.clockFinding(this.dev.deviceClock.host());
    const findings = [...this.tampered, ...(clock ? [clock] : [])];
    return { ok: findings.length === 0, findings };
  }

  /** A finding when the host clock reads further behind the last committed time than the tolerance. */
  private clockFinding(now: number): string | undefined {
    const seen = Math.max(this.lastSeen, this.dev.seal.committed?.time ?? 0);
    if (now >= seen - this.toleranceSeconds) return undefined;
    return `the host clock reads ${new Date(now * 1000).toISOString()}, ${seen - now} s before the last time the device committed (${new Date(seen * 1000).toISOString()}); tolerance ${this.toleranceSeconds} s`;
  }

  /** Another connection committed to the database: check everything again (this process is its only writer). */
  private lookForForeignWrites(): void {
    if (this.internal || !this.dev.seal.foreignWrites() || !this.dev.meta.identity()) return;
    const { findings } = this.verify(false);
    if (findings.length === 0) return;
    log('error', 'sealed state broken while running: the device refuses to sign or change state', { code: 'state_tampered', findings: findings.join(' | ') });
    this.found('state_tampered', ['another process wrote to the state database while the device ran', ...findings]);
  }

  private latch(findings: readonly string[]): void {
    for (const f of findings) if (!this.tampered.includes(f)) this.tampered.push(f);
  }

  /** A finding at runtime: latch (for tampering), then one audit entry for the new findings, after the current transaction. */
  private found(code: SealCode, findings: string[]): void {
    if (code === 'state_tampered') {
      this.latch(findings);
      for (const f of findings) if (!this.dev.seal.findings.includes(f)) this.dev.seal.findings.push(f);
    }
    if (this.booting) return;
    if (code === 'state_tampered') log('error', 'sealed state broken: the device refuses to sign or change state', { code, findings: findings.join(' | ') });
    const fresh = findings.filter((f) => !this.logged.has(f));
    if (fresh.length === 0) return;
    for (const f of fresh) this.logged.add(f);
    this.queued.push({ code, findings: fresh });
    if (this.queued.length === 1) setImmediate(() => this.flushQueued());
  }

  private flushQueued(): void {
    const q = this.queued;
    this.queued = [];
    for (const code of ['state_tampered', 'clock_rollback'] as const) {
      const findings = q.filter((x) => x.code === code).flatMap((x) => x.findings);
      if (findings.length > 0) this.append(code, findings, code === 'state_tampered' ? findings : []);
    }
  }

  /**
   * Appends the `tamper.detected` entry. When the token cannot sign it (not this device's token),
   * `keep` is stored for the next boot that can, so the log still learns of it.
   */
  private append(code: SealCode, findings: string[], keep: string[]): void {
    const { dev } = this;
    const now = dev.clock();
    for (const f of findings) this.logged.add(f);
    this.internal = true;
    try {
      dev.seal.transaction(() => {
        dev.audit.append(now, { kind: 'tamper.detected', code, findings });
        dev.seal.clearPending();
      });
      this.ensureAnchored();
    } catch (err) {
      if (keep.length > 0) dev.seal.keepPending(now, keep);
      log('error', 'the detection could not be written to the audit log (kept for the next boot)', { code, error: err instanceof ApplianceError ? err.message : 'internal' });
    } finally {
      this.internal = false;
    }
  }
}
