// Durability off the event loop (appliance/state/wal-sync.ts): on a real SQLite database in WAL mode,
// a commit's caller hears of it only once the log's flush has ended, one flush covers the commits made
// before it started, the checkpoint the token may anchor is only ever one on disk, and a failed flush
// is refused to every later caller. The flush is the real fdatasync except where a test holds it open
// to see what waits for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sealedDb } from '../../helpers/sealed-db.js';
import { GroupCommitter } from '../../../appliance/state/group-commit.js';
import { ApplianceError } from '../../../protocol/errors.js';
import { heldFlush, until } from '../../helpers/held-flush.js';

function fileDb() {
  const dir = mkdtempSync(join(tmpdir(), 'wal-sync-'));
  const path = join(dir, 'state.db');
  const { db, seal } = sealedDb(path);
  return { dir, path, db, seal, cleanup: () => (db.close(), rmSync(dir, { recursive: true, force: true })) };
}

test('the running device commits with synchronous NORMAL and flushes the log itself', async () => {
  const { path, db, seal, cleanup } = fileDb();
  try {
    assert.equal(db.pragma('synchronous', { simple: true }), 2, 'FULL until the device flushes off the loop');
    seal.flushOffLoop(path);
    assert.equal(db.pragma('synchronous', { simple: true }), 1);
    const before = seal.durable?.gen;
    seal.transaction(() => seal.touch());
    assert.equal(seal.durable?.gen, before, 'a commit written but not flushed is not durable');
    assert.ok((seal.committed?.gen ?? 0) > (before ?? 0));
    await seal.whenDurable();
    assert.equal(seal.durable?.gen, seal.committed?.gen, 'the real fdatasync put it on disk');
  } finally {
    cleanup();
  }
});

test("a group commit's callers hear of it only after the flush; one flush covers commits made before it started", async () => {
  const { path, db, seal, cleanup } = fileDb();
  const held = heldFlush();
  try {
    seal.flushOffLoop(path, held.flush);
    db.exec('CREATE TABLE marks (n INTEGER)');
    const commits = new GroupCommitter(
      db,
      (fn) => seal.transaction(fn),
      undefined,
      () => seal.whenDurable(),
    );
    const settled: number[] = [];
    const mark = (n: number) =>
      commits
        .run(() => {
          seal.touch();
          db.prepare('INSERT INTO marks (n) VALUES (?)').run(n);
          return n;
        })
        .then((v) => settled.push(v));
    const first = [mark(1), mark(2)];
    await until(() => held.calls() === 1);
    assert.equal(db.prepare('SELECT count(*) FROM marks').pluck().get(), 2, 'committed to the log');
    assert.deepEqual(settled, [], 'nobody hears of a commit still being flushed');
    const committedGen = seal.committed?.gen;
    assert.notEqual(seal.durable?.gen, committedGen, 'the anchor may not name it yet');

    const later = mark(3); // committed while the first flush runs: it needs a flush of its own
    await until(() => db.prepare('SELECT count(*) FROM marks').pluck().get() === 3);
    await held.release();
    await Promise.all(first);
    assert.deepEqual(settled.sort(), [1, 2]);
    assert.equal(seal.durable?.gen, committedGen, 'the checkpoint of the flushed group is now durable, not the later one');
    await until(() => held.calls() === 2);
    assert.deepEqual(settled.sort(), [1, 2], 'the later commit still waits');
    await held.release();
    await later;
    assert.deepEqual(settled.sort(), [1, 2, 3]);
    assert.equal(seal.durable?.gen, seal.committed?.gen);
    assert.equal(held.calls(), 2, 'three commits, two flushes');
  } finally {
    cleanup();
  }
});

test('a failed flush is refused to its callers and to every later one, and nothing settles as if durable', async () => {
  const { path, db, seal, cleanup } = fileDb();
  const held = heldFlush();
  try {
    seal.flushOffLoop(path, held.flush);
    const commits = new GroupCommitter(
      db,
      (fn) => seal.transaction(fn),
      undefined,
      () => seal.whenDurable(),
    );
    const pending = commits.run(() => seal.touch());
    await until(() => held.calls() === 1);
    await held.fail('EIO');
    await assert.rejects(pending, (e: unknown) => e instanceof ApplianceError && e.code === 'internal' && e.details?.code === 'state_not_durable' && /EIO/.test(e.message));
    await assert.rejects(seal.whenDurable(), (e: unknown) => e instanceof ApplianceError && e.details?.code === 'state_not_durable', 'latched');
    assert.throws(
      () => seal.syncNow(),
      (e: unknown) => e instanceof ApplianceError && e.details?.code === 'state_not_durable',
    );
    await assert.rejects(
      commits.run(() => seal.touch()),
      (e: unknown) => e instanceof ApplianceError && e.details?.code === 'state_not_durable',
    );
    assert.equal(held.calls(), 1, 'no flush is tried after a failure: its success would prove nothing');
  } finally {
    cleanup();
  }
});

test('syncNow flushes on the calling thread for synchronous callers; with nothing written it does nothing', async () => {
  const { path, seal, cleanup } = fileDb();
  const held = heldFlush();
  try {
    seal.flushOffLoop(path, held.flush);
    seal.syncNow();
    seal.transaction(() => seal.touch());
    assert.notEqual(seal.durable?.gen, seal.committed?.gen);
    seal.syncNow();
    assert.equal(seal.durable?.gen, seal.committed?.gen);
    await seal.whenDurable();
    assert.equal(held.calls(), 0, 'the thread-pool flush was never needed');
  } finally {
    cleanup();
  }
});
