// The chaos run's checks, computed from the database and the chain after the run: withdrawals paid
// twice (more than one included attempt, or a recipient holding more than its completed amount: every
// withdrawal has a recipient of its own), nonce gaps (nonce-manager.ts against the hot address's count
// on chain), ledger imbalances (the journal replayed against the stored balances, every asset summing
// to zero, nothing left Reserved or Pending once all is finished), reconciliation breaks (ledger/
// reconcile.ts on the hot address at the final block) and how often each attempt exception happened
// (the attempt transition log).
import { erc20Abi, type Hex } from 'viem';
import { reconcile } from '../../ledger/reconcile.js';
import { checkReplay } from '../../ledger/replay.js';
import { nonceGaps } from '../../orchestrator/nonce-manager.js';
import { ATTEMPT_EXCEPTIONS } from '../../orchestrator/states.js';
import { CHAIN_ID } from '../../test/helpers/test-device.js';
import type { Planned } from './driver.js';
import { NATIVE, type Rig } from './rig.js';

export interface Verdict {
  withdrawals: number;
  completed: number;
  /** Withdrawals an operator had to decide at least once. */
  operator: number;
  doubleSpends: number;
  /** Completed withdrawals whose recipient holds less than the amount. */
  unpaid: number;
  nonceGaps: number;
  ledgerImbalances: number;
  reconciliationBreaks: number;
  exceptions: Record<string, number>;
  reorgs: number;
}

export async function judge(rig: Rig, planned: Planned[], confirmations: number): Promise<Verdict> {
  const db = rig.db;
  const client = rig.anvil.publicClient;
  const rows = await db.query<{ id: string; key: string; state: string; amount: string; included: number }>(
    `SELECT w.id, w.idempotency_key AS key, w.state, w.amount::text AS amount,
            (SELECT count(*)::int FROM orch_attempts a WHERE a.withdrawal_id = w.id AND a.state IN ('included', 'confirmed', 'finalized', 'reverted')) AS included
       FROM orch_withdrawals w`,
  );
  const byKey = new Map(rows.rows.map((r) => [r.key, r]));
  let doubleSpends = 0;
  let unpaid = 0;
  for (const p of planned) {
    const w = byKey.get(p.key);
    const expected = w?.state === 'completed' ? p.amount : 0n;
    const held = p.asset === NATIVE ? await client.getBalance({ address: p.to }) : await client.readContract({ address: rig.token, abi: erc20Abi, functionName: 'balanceOf', args: [p.to] });
    if ((w?.included ?? 0) > 1 || held > expected) doubleSpends++;
    else if (held < expected) unpaid++;
  }
  const operator = await db.query<{ n: number }>("SELECT count(DISTINCT withdrawal_id)::int AS n FROM orch_withdrawal_transitions WHERE to_state = 'operator'");

  const confirmed = BigInt(await client.getTransactionCount({ address: rig.hot.address, blockTag: 'latest' }));
  const gaps = await nonceGaps(db, { chainId: BigInt(CHAIN_ID), from: rig.hot.address }, confirmed);
  let nonceGapCount = gaps.released.length + gaps.spentElsewhere.length;
  const highest = gaps.highest ?? -1n;
  // Every reserved nonce is spent on chain, and the chain spent none the orchestrator did not reserve.
  if (highest !== confirmed - 1n) nonceGapCount += Number(highest >= confirmed ? highest - confirmed + 1n : confirmed - 1n - highest);

  const replay = await checkReplay(db);
  const sums = await db.query<{ asset: string; state: string; total: string }>(
    `SELECT a.asset, 'all' AS state, sum(b.amount)::text AS total FROM ledger_balances b JOIN ledger_accounts a ON a.id = b.account_id GROUP BY a.asset HAVING sum(b.amount) <> 0
     UNION ALL
     SELECT a.asset, b.state, sum(b.amount)::text AS total FROM ledger_balances b JOIN ledger_accounts a ON a.id = b.account_id
      WHERE a.kind = 'customer' AND b.state IN ('reserved', 'pending') GROUP BY a.asset, b.state HAVING sum(b.amount) <> 0`,
  );
  const ledgerImbalances = replay.differences.length + sums.rows.length;

  const recon = await reconcile(db, client, { chainId: BigInt(CHAIN_ID), rpcUrl: rig.anvil.rpcUrl, finality: { confirmations }, tokens: [rig.token as Hex] });

  const ex = await db.query<{ to_state: string; n: number }>('SELECT to_state, count(*)::int AS n FROM orch_attempt_transitions WHERE to_state = ANY($1::text[]) GROUP BY to_state', [
    [...ATTEMPT_EXCEPTIONS],
  ]);
  const exceptions = Object.fromEntries(ATTEMPT_EXCEPTIONS.map((e) => [e, ex.rows.find((r) => r.to_state === e)?.n ?? 0]));
  const reorgs = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM orch_attempt_transitions WHERE cause = 'reorg'");
  return {
    withdrawals: rows.rows.length,
    completed: rows.rows.filter((r) => r.state === 'completed').length,
    operator: operator.rows[0]!.n,
    doubleSpends,
    unpaid,
    nonceGaps: nonceGapCount,
    ledgerImbalances,
    reconciliationBreaks: recon.breakCount,
    exceptions,
    reorgs: reorgs.rows[0]!.n,
  };
}
