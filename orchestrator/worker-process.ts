// A worker process of the orchestrator: reads a JSON config file (worker-config.ts), builds a Runtime
// for each round (runtime-builder.ts, as the custody service does) and runs workRound in a loop until
// SIGTERM or SIGINT, when it finishes the round in hand and exits. Several of these on one PostgreSQL
// database share the work by the database lease; one killed with SIGKILL leaves its claims to expire.
// Usage: node dist/orchestrator/worker-process.js <config.json>
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { openLedgerDb } from '../ledger/open-ledger.js';
import { migrateOrchestrator } from './migrations.js';
import { workerRuntimeBuilder, type WorkerConfig } from './worker-config.js';
import { workRound } from './worker.js';

async function main(): Promise<void> {
  const file = process.argv[2];
  if (file === undefined) throw new Error('usage: worker-process.js <config.json>');
  const cfg = JSON.parse(readFileSync(file, 'utf8')) as WorkerConfig;
  const db = await openLedgerDb({ url: cfg.databaseUrl, maxConnections: 4 });
  await migrateOrchestrator(db);
  const build = workerRuntimeBuilder(cfg, db, dirname(resolve(file)));
  let stopping = false;
  const stop = () => (stopping = true);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stderr.write(`worker ${cfg.worker}: started (pid ${process.pid})\n`);
  let rounds = 0;
  let errors = 0;
  while (!stopping) {
    let advanced = 0;
    try {
      const r = await workRound(await build(), { worker: cfg.worker, now: new Date(), leaseMs: cfg.leaseMs ?? 60_000, limit: cfg.limit ?? 10 });
      advanced = r.advanced;
      errors += r.errors.length;
      for (const e of r.errors) process.stderr.write(`worker ${cfg.worker}: ${e.id}: ${e.message.split('\n')[0]}\n`);
    } catch (err) {
      errors++;
      process.stderr.write(`worker ${cfg.worker}: round failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
    }
    rounds++;
    if (advanced === 0 && !stopping) await new Promise((r) => setTimeout(r, cfg.idleMs ?? 200));
  }
  await db.close();
  process.stderr.write(`worker ${cfg.worker}: stopped after ${rounds} rounds, ${errors} step errors\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
