// The reconciliation benchmark: a ledger with `entries` journal entries (deposits, inclusion then
// finality, spread over `addresses` deposit addresses) written straight into the journal with set-based
// SQL, the chain's balances set to match, then one timed reconciliation at the final block. The
// journal's own check (each entry balanced per asset, at commit) still runs on the seeded rows. Works
// on any ledger Db (embedded or PostgreSQL); the chain is a local anvil (`anvil_setBalance`).
// `runReconcileBench` is `make bench`'s run of it on both backends (bench/run.ts).
import type { PublicClient } from 'viem';
import { startAnvil } from '../reliability/anvil.js';
import { customerAccount, custodyAccount, openAccount } from '../ledger/accounts.js';
import { nativeAsset } from '../ledger/assets.js';
import { chainClient, type ChainConfig } from '../ledger/chain.js';
import { registerCustodyAddress } from '../ledger/custody-addresses.js';
import type { Db } from '../ledger/db.js';
import { reconcile } from '../ledger/reconcile.js';
import { withLedgerBackends, type LedgerBackendName } from './ledger.js';

export interface ReconcileBenchChain {
  client: PublicClient;
  config: ChainConfig;
  /** Sets an address's native balance on the chain (anvil: `anvil_setBalance`) and mines a block. */
  setBalance(address: string, wei: bigint): Promise<void>;
}

export interface ReconcileBenchResult {
  addresses: number;
  entries: number;
  seedSeconds: number;
  reconcileSeconds: number;
  breaks: number;
}

/** The address of bench deposit address `i` (0-based): 0xbe and the index in hex. */
export function benchAddress(i: number): string {
  return '0xbe' + i.toString(16).padStart(38, '0');
}

/** The amount of deposit `d` (1-based). */
const amountOf = (d: number) => 1000n + BigInt(d % 97);

/** Seeds the journal (an even number of entries, a fresh ledger) and times one reconciliation of it. */
export async function benchReconcile(db: Db, chain: ReconcileBenchChain, opts: { addresses?: number; entries?: number } = {}): Promise<ReconcileBenchResult> {
  const n = opts.addresses ?? 50;
  const entries = opts.entries ?? 100_000;
  if (entries % 2 !== 0 || entries < 2 || n < 1) throw new RangeError('entries is a positive even number, addresses at least 1');
  const deposits = entries / 2;
  const asset = nativeAsset(chain.config.chainId);

  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await registerCustodyAddress(db, { chainId: chain.config.chainId, address: benchAddress(i), role: 'deposit', customer: `bench-${i}` });
    await openAccount(db, customerAccount(`bench-${i}`, asset));
    await openAccount(db, custodyAccount(benchAddress(i), asset));
  }
  await db.transaction(async (tx) => {
    const base = Number((await tx.query<{ b: string }>('SELECT coalesce(max(id), 0)::text AS b FROM ledger_entries')).rows[0]!.b);
    // Deposit d (1-based) goes to address (d - 1) % n: entry base + 2d - 1 is its inclusion, base + 2d its finality.
    await tx.query(
      `INSERT INTO ledger_entries (id, kind, idempotency_key, fingerprint, trace_id)
       SELECT $1::bigint + g, CASE WHEN g % 2 = 1 THEN 'deposit.inclusion' ELSE 'deposit.finality' END, 'bench:' || ($1::bigint + g), 'bench:' || g, 'bench-deposit:' || ((g + 1) / 2)
       FROM generate_series(1, $2::bigint) g`,
      [base, entries],
    );
    await tx.query("SELECT setval(pg_get_serial_sequence('ledger_entries', 'id'), (SELECT max(id) FROM ledger_entries))");
    await tx.query(
      `WITH d AS (
         SELECT d, (d - 1) % $3 AS a, 1000 + d % 97 AS amt FROM generate_series(1, $2::bigint) d
       ), acct AS (
         SELECT d, amt, 'customer/bench-' || a || '/' || $4 AS cust, 'custody/0xbe' || lpad(to_hex(a), 38, '0') || '/' || $4 AS cus FROM d
       )
       INSERT INTO ledger_lines (entry_id, line_no, account_id, state, amount)
       SELECT $1::bigint + 2 * d - 1, 0, cust, 'pending', amt FROM acct
       UNION ALL SELECT $1::bigint + 2 * d - 1, 1, cus, 'pending', -amt FROM acct
       UNION ALL SELECT $1::bigint + 2 * d, 0, cust, 'pending', -amt FROM acct
       UNION ALL SELECT $1::bigint + 2 * d, 1, cust, 'available', amt FROM acct
       UNION ALL SELECT $1::bigint + 2 * d, 2, cus, 'pending', amt FROM acct
       UNION ALL SELECT $1::bigint + 2 * d, 3, cus, 'settled', -amt FROM acct`,
      [base, deposits, n, asset],
    );
    await tx.query(
      `UPDATE ledger_balances b SET amount = b.amount + s.total
       FROM (SELECT account_id, state, sum(amount) AS total FROM ledger_lines WHERE entry_id > $1 GROUP BY account_id, state) s
       WHERE b.account_id = s.account_id AND b.state = s.state`,
      [base],
    );
  });
  const held = new Array<bigint>(n).fill(0n);
  for (let d = 1; d <= deposits; d++) held[(d - 1) % n]! += amountOf(d);
  for (let i = 0; i < n; i++) await chain.setBalance(benchAddress(i), held[i]!);
  const t1 = performance.now();

  const run = await reconcile(db, chain.client, chain.config);
  const t2 = performance.now();
  return { addresses: n, entries, seedSeconds: (t1 - t0) / 1000, reconcileSeconds: (t2 - t1) / 1000, breaks: run.breakCount };
}

export interface ReconcileBenchPoint {
  backend: LedgerBackendName;
  addresses: number;
  entries: number;
  seed_s: number;
  reconcile_s: number;
  breaks: number;
}

/**
 * `make bench`'s reconciliation timing: benchReconcile on a fresh database of each backend (PGlite in a
 * data folder, then PostgreSQL), against one local anvil. Smoke mode seeds 200 entries over 5 addresses.
 */
export async function runReconcileBench(opts: { smoke: boolean; progress: (m: string) => void }): Promise<ReconcileBenchPoint[]> {
  const size = opts.smoke ? { addresses: 5, entries: 200 } : { addresses: 50, entries: 100_000 };
  const out: ReconcileBenchPoint[] = [];
  await withLedgerBackends(async (backend) => {
    // A chain of its own per backend: the bench addresses' balances are set from each seeding.
    const anvil = await startAnvil();
    const db = await backend.open();
    try {
      const config: ChainConfig = { chainId: BigInt(anvil.publicClient.chain?.id ?? 31337), rpcUrl: anvil.rpcUrl, finality: { confirmations: 0 }, tokens: [] };
      const setBalance = async (address: string, wei: bigint) => {
        await anvil.publicClient.request({ method: 'anvil_setBalance' as never, params: [address, `0x${wei.toString(16)}`] as never });
        await anvil.publicClient.request({ method: 'evm_mine' as never, params: [] as never });
      };
      const r = await benchReconcile(db, { client: chainClient(config), config, setBalance }, size);
      if (r.breaks !== 0) throw new Error(`reconciliation bench on ${backend.name}: ${r.breaks} breaks on a ledger seeded to match the chain`);
      const point = { backend: backend.name, addresses: r.addresses, entries: r.entries, seed_s: round3(r.seedSeconds), reconcile_s: round3(r.reconcileSeconds), breaks: r.breaks };
      opts.progress(`reconcile ${backend.name}: ${point.addresses} addresses over ${point.entries} entries in ${point.reconcile_s} s`);
      out.push(point);
    } finally {
      await db.close();
      await anvil.stop();
    }
  });
  return out;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
