// Durability off the event loop (DESIGN.md invariant 2). With `synchronous = FULL` every SQLite
// COMMIT waits for the write-ahead log's fsync on the appliance's one event loop: measured on these
// machines, 4.9 ms of wall time per commit against 0.5 ms of CPU, so the loop stood idle most of the
// time it spent committing. The running device commits with `synchronous = NORMAL` instead (the WAL
// frames are written, not yet flushed) and this class flushes the WAL with fdatasync on libuv's thread
// pool. Nothing is released before it is on disk: the group commit settles its callers, and the
// server sends an answer, only after `whenDurable()`; a synchronous caller (boot, close, a ceremony)
// uses `syncNow()`. One flush covers every commit written before it started, so commits made while a
// flush runs wait for the next one (many commits, one fsync, and the loop never blocks on it).
//
// A failed fsync is final: the kernel may have dropped the pages it could not write, so a later flush
// succeeding proves nothing about them. Every later `whenDurable()` and `syncNow()` refuses, and the
// device answers errors until it is restarted and SQLite recovers the log.
import { closeSync, fdatasync, fdatasyncSync, fstatSync, fsyncSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ApplianceError } from '../../protocol/errors.js';

/** Flushes one file's data to disk (fdatasync on the thread pool); tests give their own to control when it ends. */
export type FlushFile = (fd: number) => Promise<void>;

const fdatasyncOnPool: FlushFile = (fd) => new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));

export function durabilityError(cause: unknown): ApplianceError {
  const code = cause instanceof Error && 'code' in cause ? String((cause as NodeJS.ErrnoException).code) : 'unknown';
  return new ApplianceError('internal', `the state could not be flushed to disk (${code}); the device answers nothing until it is restarted`, { code: 'state_not_durable' });
}

export class WalSync<T> {
  /** Commits written to the WAL, and how many of them are known to be on disk. */
  private written = 0;
  private synced = 0;
  /** What each commit not yet on disk stands for (the device: its checkpoint), oldest first. */
  private readonly tags: { seq: number; tag: T }[] = [];
  private inflight: Promise<void> | undefined;
  private failure: unknown;
  private fd: number | undefined;
  private ino = -1;

  constructor(
    /** The database's write-ahead log (`<db>-wal`). */
    private readonly walPath: string,
    /** Hears the latest commit now on disk (the device anchors only such a checkpoint in the token). */
    private readonly onDurable: (tag: T) => void,
    private readonly flushFile: FlushFile = fdatasyncOnPool,
  ) {}

  /** A transaction has committed to the WAL (not yet on disk); `tag` names it for `onDurable`. */
  committed(tag: T): void {
    this.written++;
    this.tags.push({ seq: this.written, tag });
  }

  /** Whether a commit is written but not yet known to be on disk. */
  get lagging(): boolean {
    return this.synced < this.written;
  }

  /** Resolves once every commit made before the call is on disk; rejects (for good) if a flush failed. */
  async whenDurable(): Promise<void> {
    const target = this.written;
    while (this.synced < target) {
      if (this.failure !== undefined) throw durabilityError(this.failure);
      this.inflight ??= this.flushOnce();
      await this.inflight;
    }
    if (this.failure !== undefined) throw durabilityError(this.failure);
  }

  /** Flushes now, on the calling thread (boot, close, a ceremony's last commit). */
  syncNow(): void {
    if (this.failure !== undefined) throw durabilityError(this.failure);
    if (!this.lagging) return;
    const upto = this.written;
    try {
      fdatasyncSync(this.walFd());
    } catch (err) {
      this.failure = err;
      throw durabilityError(err);
    }
    this.reached(upto);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** One flush, covering the commits written when it started. Never rejects: a failure is kept. */
  private async flushOnce(): Promise<void> {
    const upto = this.written;
    try {
      await this.flushFile(this.walFd());
      this.reached(upto);
    } catch (err) {
      this.failure ??= err;
    } finally {
      this.inflight = undefined;
    }
  }

  private reached(upto: number): void {
    if (upto <= this.synced) return;
    this.synced = upto;
    let last: { seq: number; tag: T } | undefined;
    while (this.tags.length > 0 && this.tags[0]!.seq <= upto) last = this.tags.shift();
    if (last) this.onDurable(last.tag);
  }

  /**
   * The WAL's descriptor, opened again if the file was replaced (SQLite keeps it while the database
   * is open; the check is one stat). A newly opened log also has its directory flushed, so the file's
   * name is on disk with its contents.
   */
  private walFd(): number {
    const ino = statSync(this.walPath).ino;
    if (this.fd !== undefined && ino === this.ino) return this.fd;
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = openSync(this.walPath, 'r');
    this.ino = fstatSync(this.fd).ino;
    const dir = openSync(dirname(this.walPath), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    return this.fd;
  }
}
