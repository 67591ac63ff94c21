// The real fdatasync of the appliance's write-ahead log (appliance/state/wal-sync.ts), held once it
// has ended until the test lets its caller hear of it: what waits for the disk can be seen waiting.
import assert from 'node:assert/strict';
import { fdatasync } from 'node:fs';
import type { FlushFile } from '../../appliance/state/wal-sync.js';

/** Lets pending callbacks (the fdatasync on the thread pool, socket reads, promise reactions) run. */
export const turn = () => new Promise<void>((r) => setImmediate(r));

/** Turns of the event loop until `cond` holds (at most 2000; fails otherwise). */
export async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await turn();
  assert.ok(cond(), 'the condition was never reached');
}

export interface HeldFlush {
  flush: FlushFile;
  /** Flushes asked for so far. */
  calls: () => number;
  /** Once the flushes asked for have ended on disk, lets their callers hear of it. */
  release: () => Promise<void>;
  /** Once they have ended, reports them failed with this errno code instead. */
  fail: (code: string) => Promise<void>;
}

export function heldFlush(): HeldFlush {
  let calls = 0;
  const waiting: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const flush: FlushFile = (fd) =>
    new Promise<void>((resolve, reject) => {
      calls++;
      fdatasync(fd, (err) => (err ? reject(err) : waiting.push({ resolve, reject })));
    });
  const settleAll = async (f: (w: (typeof waiting)[number]) => void) => {
    await until(() => waiting.length > 0);
    for (const w of waiting.splice(0)) f(w);
  };
  return {
    flush,
    calls: () => calls,
    release: () => settleAll((w) => w.resolve()),
    fail: (code) => settleAll((w) => w.reject(Object.assign(new Error('flush failed'), { code }))),
  };
}
