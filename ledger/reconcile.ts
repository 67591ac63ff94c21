// Reconciliation with the chain (issue 13 item 4): at a final block F, for each registered custody
// address of a chain and each asset (the native coin and the watched tokens), the balance on chain at F
// against what the ledger says the address must hold, minus the Settled of its custody account. A
// difference is a break: posted to suspense, opened in the exception queue and announced as an event
// (reconcile-break.ts). In-flight items (the address's Pending, its customers' Reserved and Pending)
// are listed beside each row and not counted. The run and its rows are stored in one transaction.
//
// Run the chain watcher's and the sweeps' finality postings up to F first: a deposit final at F whose
// finality is not yet posted would otherwise look like an unknown inflow (docs/ledger.md).
import type { PublicClient } from 'viem';
import { accountId, custodyAccount } from './accounts.js';
import { balanceAt, chainAssets, mapLimited, type AssetOnChain } from './chain-balances.js';
import { finalBlock, type ChainConfig } from './chain.js';
import { listCustodyAddresses, type CustodyAddress } from './custody-addresses.js';
import type { Db, Queryable } from './db.js';
import { LedgerError } from './errors.js';
import { postBreak } from './reconcile-break.js';
import type { PendingItem, ReconRow, Reconciliation } from './reconcile-types.js';
import { finishRun, insertRun } from './reconciliations.js';

export interface ReconcileOptions {
  /** The block to reconcile at, at or below the final block (a block above it is refused, `not_final`); default `finalBlock(client, chain.finality)`. */
  block?: bigint;
  /** The run's time (default: now). */
  now?: () => Date;
  /** Chain reads in flight at once (default 8). */
  concurrency?: number;
}

/** Reconciles every custody address of `chain` at its final block (or `opts.block`); returns the stored run. */
export async function reconcile(db: Db, client: PublicClient, chain: ChainConfig, opts: ReconcileOptions = {}): Promise<Reconciliation> {
  const final = await finalBlock(client, chain.finality);
  const block = opts.block ?? final;
  if (block < 0n || block > final)
    throw new LedgerError('not_final', 'the block is not final on the chain (yet)', { chainId: chain.chainId.toString(), block: block.toString(), final: final.toString() });
  const assets = chainAssets(chain.chainId, chain.tokens);
  const addresses = await listCustodyAddresses(db, chain.chainId);
  // Address-major, then asset id: the order of the custody accounts' ids, so the run locks balance rows
  // in the order postings take them.
  const byId = [...assets].sort((x, y) => (x.asset < y.asset ? -1 : 1));
  const pairs = addresses.flatMap((a) => byId.map((x) => ({ address: a, what: x })));
  const onChain = await mapLimited(pairs, opts.concurrency ?? 8, (p) => balanceAt(client, p.address.address, p.what, block));
  const at = (opts.now ?? (() => new Date()))();

  return db.transaction(async (tx) => {
    const runId = await insertRun(tx, chain.chainId, block, at);
    const inFlight = await customersInFlight(tx, assets);
    const rows: ReconRow[] = [];
    for (const [i, p] of pairs.entries()) {
      const account = accountId(custodyAccount(p.address.address, p.what.asset));
      const held = await lockCustodyBalances(tx, account);
      const ledger = -held.settled;
      const chainAmount = onChain[i]!;
      const difference = chainAmount - ledger;
      const pending: PendingItem[] = [];
      if (held.pending !== 0n) pending.push({ accountId: account, state: 'pending', amount: held.pending });
      pending.push(...relatedCustomers(p.address, inFlight.get(p.what.asset) ?? []));
      const row: ReconRow = { address: p.address.address, role: p.address.role, asset: p.what.asset, chain: chainAmount, ledger, difference, status: difference === 0n ? 'ok' : 'break', pending };
      if (p.address.customer !== undefined) row.customer = p.address.customer;
      if (difference !== 0n) {
        const e = await postBreak(tx, { chainId: chain.chainId, block, address: p.address.address, asset: p.what.asset, ledger, difference, reconciliationId: runId, at });
        row.exception = { id: e.id, kind: e.kind, entryId: e.entryId };
      }
      rows.push(row);
    }
    await finishRun(tx, runId, rows);
    return { id: runId, chainId: chain.chainId, block, runAt: at.toISOString(), rows, breakCount: rows.filter((r) => r.status === 'break').length };
  });
}

/** The custody account's Settled and Pending, its balance rows locked until the run commits (zero when never opened). */
async function lockCustodyBalances(tx: Queryable, account: string): Promise<{ settled: bigint; pending: bigint }> {
  const r = await tx.query<{ state: string; amount: string }>('SELECT state, amount::text AS amount FROM ledger_balances WHERE account_id = $1 ORDER BY state FOR UPDATE', [account]);
  const get = (s: string) => BigInt(r.rows.find((x) => x.state === s)?.amount ?? '0');
  return { settled: get('settled'), pending: get('pending') };
}

interface CustomerItem extends PendingItem {
  customer: string;
}

/** Every customer's non-zero Reserved and Pending per asset of the chain. */
async function customersInFlight(tx: Queryable, assets: AssetOnChain[]): Promise<Map<string, CustomerItem[]>> {
  const r = await tx.query<{ id: string; owner: string; asset: string; state: 'reserved' | 'pending'; amount: string }>(
    `SELECT a.id, a.owner, a.asset, b.state, b.amount::text AS amount FROM ledger_accounts a JOIN ledger_balances b ON b.account_id = a.id
      WHERE a.kind = 'customer' AND a.asset = ANY($1::text[]) AND b.state IN ('reserved', 'pending') AND b.amount <> 0 ORDER BY a.id, b.state`,
    [assets.map((a) => a.asset)],
  );
  const out = new Map<string, CustomerItem[]>();
  for (const x of r.rows) out.set(x.asset, [...(out.get(x.asset) ?? []), { customer: x.owner, accountId: x.id, state: x.state, amount: BigInt(x.amount) }]);
  return out;
}

/**
 * The customer items a row lists: a deposit address's own customer's; for a hot address, every
 * customer's, since withdrawals leave from the hot address and the journal names the custody address
 * only at finality (with several hot addresses on one chain, each lists them all).
 */
function relatedCustomers(a: CustodyAddress, items: CustomerItem[]): PendingItem[] {
  const mine = a.role === 'deposit' ? items.filter((x) => x.customer === a.customer) : items;
  return mine.map((x) => ({ accountId: x.accountId, state: x.state, amount: x.amount }));
}
