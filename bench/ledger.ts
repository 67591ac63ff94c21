// The ledger's benchmark: postings per second and the time to replay a journal of 100k entries, on the
// embedded backend (PGlite in a data folder) and on a PostgreSQL server (Debian's, started for the run
// with its default durability, fsync on). Postings go through `postEntry` from several workers, each
// on a customer and deposit address of its own, cycling deposit inclusion, finality, withdrawal request
// and cancel (nothing is refused). The replay journal is written in bulk by SQL (deposit inclusions
// and finalities, balances set from the lines; the database's own balance check still runs at
// commit) because writing 100k entries one posting at a time would be most of the run; replay then
// reads and re-checks every entry and compares with the stored balances, which must agree.
// `ledgerBackends` and `fillJournal` are exported for a reconciliation timing beside this one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { customerAccount, custodyAccount, openAccount } from '../ledger/accounts.js';
import { nativeAsset } from '../ledger/assets.js';
import type { Db, Queryable } from '../ledger/db.js';
import { postEntry } from '../ledger/journal.js';
import { openLedgerDb } from '../ledger/open-ledger.js';
import { checkReplay } from '../ledger/replay.js';
import { startPostgres } from '../test/helpers/postgres.js';

export type LedgerBackendName = 'pglite' | 'postgres';

export interface LedgerBenchPoint {
  backend: LedgerBackendName;
  concurrency: number;
  postings: number;
  postings_per_s: number;
}

export interface LedgerReplayPoint {
  backend: LedgerBackendName;
  entries: number;
  fill_s: number;
  replay_s: number;
}

export interface LedgerBenchResult {
  postings: LedgerBenchPoint[];
  replay: LedgerReplayPoint[];
  ratios: { postgres_over_pglite_postings: number; postgres_over_pglite_replay_time: number };
}

export interface LedgerBackend {
  name: LedgerBackendName;
  /** A new, empty, migrated ledger database on this backend. */
  open(): Promise<Db>;
}

const ASSET = nativeAsset(31337);
const hex40 = (n: number) => n.toString(16).padStart(40, '0');

/**
 * Runs `fn` with each backend: PGlite in a fresh data folder, then a throwaway PostgreSQL server (one
 * server for the whole call, a fresh database per `open`). Folders and the server are removed after.
 */
export async function withLedgerBackends(fn: (backend: LedgerBackend) => Promise<void>): Promise<void> {
  const dirs: string[] = [];
  try {
    await fn({
      name: 'pglite',
      open: () => {
        const dir = mkdtempSync(join(tmpdir(), 'bench-ledger-'));
        dirs.push(dir);
        return openLedgerDb({ dataDir: dir });
      },
    });
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  const server = await startPostgres({ durable: true });
  let n = 0;
  try {
    await fn({ name: 'postgres', open: async () => openLedgerDb({ url: await server.createDatabase(`bench_${++n}`), maxConnections: 16 }) });
  } finally {
    await server.stop();
  }
}

/**
 * Writes `entries` journal entries (deposit inclusions and their finalities, to `customers` customers
 * each with a deposit address of its own) straight by SQL into an empty ledger, with the balances they
 * make. For benchmarks of what reads a large journal (replay, reconciliation).
 */
export async function fillJournal(db: Db, entries: number, customers = 100): Promise<void> {
  const empty = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM ledger_entries');
  if (empty.rows[0]!.n !== 0) throw new Error('fillJournal writes into an empty ledger only');
  for (let c = 0; c < customers; c++) {
    await openAccount(db, customerAccount(`bc${c}`, ASSET));
    await openAccount(db, custodyAccount('0x' + hex40(c + 1), ASSET));
  }
  const chunk = 10_000;
  for (let from = 1; from <= entries; from += chunk) {
    const to = Math.min(entries, from + chunk - 1);
    await db.transaction((tx) => fillChunk(tx, from, to, customers));
  }
  await db.exec(`SELECT setval(pg_get_serial_sequence('ledger_entries', 'id'), (SELECT max(id) FROM ledger_entries))`);
  await db.exec(
    `UPDATE ledger_balances b SET amount = s.total FROM (SELECT account_id, state, sum(amount) AS total FROM ledger_lines GROUP BY account_id, state) s WHERE b.account_id = s.account_id AND b.state = s.state`,
  );
}

// Entry i is deposit d = ceil(i / 2): odd i its inclusion (2 lines), even i its finality (4 lines).
async function fillChunk(tx: Queryable, from: number, to: number, customers: number): Promise<void> {
  const params = [from, to, customers, `customer/bc`, `/${ASSET}`, `custody/0x`];
  const deposit = `(i + 1) / 2`;
  const customer = `$4 || ((${deposit}) % $3)::text || $5`;
  const custody = `$6 || lpad(to_hex(((${deposit}) % $3) + 1), 40, '0') || $5`;
  const amount = `(1000 + ${deposit})::numeric`;
  await tx.query(
    `INSERT INTO ledger_entries (id, kind, idempotency_key, fingerprint, trace_id)
     SELECT i, CASE WHEN i % 2 = 1 THEN 'deposit.inclusion' ELSE 'deposit.finality' END, 'bench-' || i, 'bench', 'dep-' || (${deposit})
     FROM generate_series($1::bigint, $2::bigint) i`,
    params.slice(0, 2),
  );
  await tx.query(
    `INSERT INTO ledger_lines (entry_id, line_no, account_id, state, amount)
     SELECT i, l.no, CASE WHEN l.who = 'c' THEN ${customer} ELSE ${custody} END, l.state, l.sign * ${amount}
     FROM generate_series($1::bigint, $2::bigint) i
     JOIN (VALUES (1, 0, 'c', 'pending', 1), (1, 1, 'h', 'pending', -1),
                  (0, 0, 'c', 'pending', -1), (0, 1, 'c', 'available', 1), (0, 2, 'h', 'pending', 1), (0, 3, 'h', 'settled', -1))
       AS l(odd, no, who, state, sign) ON l.odd = i % 2`,
    params,
  );
}

async function measurePostings(db: Db, backend: LedgerBackendName, concurrency: number, postings: number): Promise<LedgerBenchPoint> {
  const workers = Array.from({ length: concurrency }, (_, w) => ({
    c: customerAccount(`pw${concurrency}-${w}`, ASSET),
    h: custodyAccount('0x' + hex40(0xbe0000 + concurrency * 1000 + w), ASSET),
  }));
  for (const w of workers) {
    await openAccount(db, w.c);
    await openAccount(db, w.h);
  }
  // Open the pool's connections before the clock starts (a server pool opens them on demand).
  await Promise.all(workers.map(() => db.query('SELECT 1')));
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    workers.map(async ({ c, h }, w) => {
      for (let i = 0; ; i++) {
        if (next >= postings) return;
        next++;
        const key = `post-${concurrency}-${w}-${i}`;
        const d = `${key}-d`;
        const step = i % 4;
        if (step === 0)
          await postEntry(db, {
            kind: 'deposit.inclusion',
            idempotencyKey: key,
            trace: { traceId: d },
            lines: [
              { account: c, state: 'pending', amount: 100n },
              { account: h, state: 'pending', amount: -100n },
            ],
          });
        else if (step === 1)
          await postEntry(db, {
            kind: 'deposit.finality',
            idempotencyKey: key,
            trace: { traceId: d },
            lines: [
              { account: c, state: 'pending', amount: -100n },
              { account: c, state: 'available', amount: 100n },
              { account: h, state: 'pending', amount: 100n },
              { account: h, state: 'settled', amount: -100n },
            ],
          });
        else
          await postEntry(db, {
            kind: step === 2 ? 'withdrawal.request' : 'withdrawal.cancel',
            idempotencyKey: key,
            trace: { traceId: `${key}-w` },
            lines: [
              { account: c, state: step === 2 ? 'available' : 'reserved', amount: -60n },
              { account: c, state: step === 2 ? 'reserved' : 'available', amount: 60n },
            ],
          });
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { backend, concurrency, postings, postings_per_s: Math.round(postings / seconds) };
}

export async function runLedgerBench(opts: { smoke: boolean; progress: (m: string) => void }): Promise<LedgerBenchResult> {
  const n = opts.smoke ? { postings: 40, levels: [1, 8], replay: 500 } : { postings: 2_000, levels: [1, 8], replay: 100_000 };
  const result: LedgerBenchResult = { postings: [], replay: [], ratios: { postgres_over_pglite_postings: 0, postgres_over_pglite_replay_time: 0 } };
  await withLedgerBackends(async (backend) => {
    // One database per backend: the journal for replay first, then the postings on top of it (a
    // ledger with a history, not an empty one).
    const db = await backend.open();
    try {
      const t0 = process.hrtime.bigint();
      await fillJournal(db, n.replay);
      const t1 = process.hrtime.bigint();
      const check = await checkReplay(db);
      const t2 = process.hrtime.bigint();
      if (check.entries !== n.replay || check.differences.length > 0) throw new Error(`ledger replay on ${backend.name}: ${check.entries} entries, ${check.differences.length} differences`);
      const point = { backend: backend.name, entries: n.replay, fill_s: round2(Number(t1 - t0) / 1e9), replay_s: round2(Number(t2 - t1) / 1e9) };
      opts.progress(`ledger ${backend.name}: replay of ${n.replay} entries in ${point.replay_s} s`);
      result.replay.push(point);
      for (const c of n.levels) {
        const p = await measurePostings(db, backend.name, c, n.postings);
        opts.progress(`ledger ${backend.name} c=${c}: ${p.postings_per_s} postings/s`);
        result.postings.push(p);
      }
    } finally {
      await db.close();
    }
  });
  const best = (b: LedgerBackendName) => Math.max(0, ...result.postings.filter((p) => p.backend === b).map((p) => p.postings_per_s));
  const replay = (b: LedgerBackendName) => result.replay.find((r) => r.backend === b)?.replay_s ?? 0;
  result.ratios = {
    postgres_over_pglite_postings: round2(best('postgres') / Math.max(1, best('pglite'))),
    postgres_over_pglite_replay_time: round2(replay('postgres') / Math.max(0.01, replay('pglite'))),
  };
  return result;
}

const round2 = (x: number) => Math.round(x * 100) / 100;
