// Group commit: state changes queued in the same turn of the event loop run in one SQLite
// transaction, so one fsync covers many requests. Each change runs in its own savepoint (a failure
// undoes only that change), and each caller's promise settles only after the whole transaction has
// committed and is on disk (`durable`: the WAL flush, off the event loop on the running device), so
// nothing is released, and no key used, before it is durable (DESIGN.md invariant 2).
import type { Db } from './db.js';
import { currentTraceId, withTrace } from '../trace.js';

interface Queued {
  fn: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class GroupCommitter {
  private queue: Queued[] = [];
  private scheduled = false;

  constructor(
    private readonly db: Db,
    /** Runs the outer transaction (the state seal's, which ends with a checkpoint). */
    private readonly outer: (fn: () => void) => void = (fn) => db.transaction(fn)(),
    /** Hears the size of each committed group (the appliance's metrics). */
    private readonly onCommit: (size: number) => void = () => {},
    /** Resolves once what was committed is on disk (the device's WAL flush); rejects if it cannot be. */
    private readonly durable: () => Promise<void> = () => Promise.resolve(),
  ) {}

  /** Runs `fn` inside the next group transaction; resolves with its result once committed. */
  run<T>(fn: () => T): Promise<T> {
    const trace = currentTraceId();
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn: () => withTrace(trace, fn), resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    const results: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.outer(() => {
        for (const item of batch) {
          try {
            results.push({ ok: true, value: this.db.transaction(item.fn)() });
          } catch (error) {
            results.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    this.onCommit(batch.length);
    const settle = () =>
      batch.forEach((item, i) => {
        const r = results[i]!;
        if (r.ok) item.resolve(r.value);
        else item.reject(r.error);
      });
    // A change that failed committed nothing: only the ones that succeeded wait for the disk.
    this.durable().then(settle, (error: unknown) => batch.forEach((item, i) => (results[i]!.ok ? item.reject(error) : item.reject(results[i]!.error))));
  }
}
