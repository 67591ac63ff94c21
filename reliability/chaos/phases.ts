// The chaos run's faults, one phase at a time: each phase switches its fault on, usually creates a
// "probe" withdrawal to meet it, steps once per tick until what it is there to cause has happened
// (read from the attempt transition log) or its tick budget is spent, then switches the fault off.
// Between them the run's ordinary traffic continues. Together they cause the six attempt exceptions
// (FAILED, EXPIRED, DROPPED, REPLACED, REVERTED, RPC_INCONSISTENT), a reorg, endpoints that are down
// or answer null receipts, and a worker killed with SIGKILL mid-flight.
import type { Hex } from 'viem';
import type { Db } from '../../ledger/db.js';
import type { RpcProxy } from '../rpc-proxy.js';
import { transferData, type Rig } from './rig.js';
import type { WorkerPool } from './workers.js';

export interface ChaosContext {
  rig: Rig;
  db: Db;
  workers: WorkerPool;
  /** Blocks below the head before a block is final (the workers' finality). */
  confirmations: number;
  /** No block is mined while set. */
  holdMining: boolean;
  /** A fault outside the proxies is on (the operator waits before retrying). */
  faultActive: boolean;
  /** Creates the next planned withdrawal now; null when none is left. */
  probe(): Promise<string | null>;
  /** Creates the whale's token withdrawal (more than the hot address holds of the token); its id. */
  createWhale(): Promise<{ id: string; amount: bigint }>;
  note(line: string): void;
}

export interface Phase {
  name: string;
  maxTicks: number;
  begin(c: ChaosContext): Promise<void>;
  /** One tick; true when the phase has done what it is for. */
  step(c: ChaosContext, tick: number): Promise<boolean>;
  end(c: ChaosContext): Promise<void>;
}

/** The highest attempt transition so far: a phase counts what happened after it. */
export async function lastTransition(db: Db): Promise<number> {
  const r = await db.query<{ n: string | null }>('SELECT max(seq)::text AS n FROM orch_attempt_transitions');
  return Number(r.rows[0]?.n ?? 0);
}

async function transitionsSince(db: Db, seq: number, to: string, cause?: string): Promise<number> {
  const r = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM orch_attempt_transitions WHERE seq > $1 AND to_state = $2 AND ($3::text IS NULL OR cause = $3)', [seq, to, cause ?? null]);
  return r.rows[0]!.n;
}

const clearProxy = (p: RpcProxy) => Object.assign(p.faults, { dropSends: false, refuseSends: false, nullReceipts: false, disagree: false, down: false });

/** A phase that sets proxy faults, probes, and waits for a transition (or a number of ticks). */
function proxyPhase(name: string, set: (ps: RpcProxy[]) => void, until: { to: string; cause?: string } | { ticks: number }, maxTicks = 80): Phase {
  let since = 0;
  let started = 0;
  return {
    name,
    maxTicks,
    async begin(c) {
      since = await lastTransition(c.db);
      started = -1;
      set(c.rig.proxies);
      await c.probe();
    },
    async step(c, tick) {
      if (started < 0) started = tick;
      if ('ticks' in until) return tick - started >= until.ticks;
      return (await transitionsSince(c.db, since, until.to, until.cause)) > 0;
    },
    async end(c) {
      c.rig.proxies.forEach(clearProxy);
    },
  };
}

/** FAILED: every endpoint refuses the send. */
export const failedPhase = () => proxyPhase('failed: every endpoint refuses sends', (ps) => ps.forEach((p) => (p.faults.refuseSends = true)), { to: 'failed' });
/** Sends swallowed by every endpoint (answered, never forwarded): DROPPED past the deadline, then REPLACED by the bump. */
export const swallowPhase = () => proxyPhase('dropped: every endpoint swallows sends', (ps) => ps.forEach((p) => (p.faults.dropSends = true)), { to: 'sent' });
/** One endpoint answers every receipt with null: the others still make a quorum. */
export const nullReceiptsPhase = () => proxyPhase('one endpoint answers null receipts', (ps) => (ps[ps.length - 1]!.faults.nullReceipts = true), { ticks: 6 });
/** The first endpoint (the one heads and receipts are read from) is down. */
export const downPhase = () => proxyPhase('the first endpoint is down', (ps) => (ps[0]!.faults.down = true), { ticks: 4 });
/** RPC_INCONSISTENT: one endpoint gives other block hashes and another is down: no quorum on an inclusion. */
export const inconsistentPhase = () =>
  proxyPhase(
    'rpc_inconsistent: one endpoint disagrees, another is down',
    (ps) => {
      ps[1]!.faults.disagree = true;
      if (ps.length > 2) ps[2]!.faults.down = true;
    },
    { to: 'rpc_inconsistent' },
  );

/** DROPPED by the node: mining held, the pending attempts removed from anvil's mempool (anvil_dropTransaction). */
export function mempoolDropPhase(): Phase {
  let since = 0;
  return {
    name: 'dropped: anvil_dropTransaction on pending attempts',
    maxTicks: 60,
    async begin(c) {
      since = await lastTransition(c.db);
      c.holdMining = true;
      await c.probe();
    },
    async step(c) {
      const r = await c.db.query<{ tx_hash: string }>(
        `SELECT DISTINCT a.tx_hash FROM orch_attempts a JOIN orch_attempt_transitions t ON t.attempt_id = a.id
          WHERE t.seq > $1 AND t.to_state = 'sent' AND a.state IN ('sent', 'seen') AND a.tx_hash IS NOT NULL`,
        [since],
      );
      for (const x of r.rows) await c.rig.rpc('anvil_dropTransaction', [x.tx_hash]);
      if (r.rows.length > 0) c.note(`anvil_dropTransaction: ${r.rows.length} pending transaction(s)`);
      return r.rows.length > 0;
    },
    async end(c) {
      c.holdMining = false;
    },
  };
}

/**
 * EXPIRED: an attempt waits in the mempool past its deadline while blocks keep coming: the block gas
 * limit is set below a transfer's gas (anvil_setBlockGasLimit), so blocks are mined empty and the
 * transactions stay pending. (A base fee above the offers does not do it: anvil evicts those.)
 */
export function expiredPhase(): Phase {
  let since = 0;
  let limit = 0n;
  let raised = false;
  return {
    name: 'expired: blocks too small for any transaction',
    maxTicks: 80,
    async begin(c) {
      since = await lastTransition(c.db);
      limit = (await c.rig.anvil.publicClient.getBlock()).gasLimit;
      raised = false;
      c.holdMining = true;
      await c.probe();
    },
    async step(c) {
      if (!raised) {
        // Some attempt must be waiting in anvil's mempool (mining is held until one is).
        const sent = await c.db.query<{ tx_hash: string }>("SELECT tx_hash FROM orch_attempts WHERE state IN ('sent', 'seen') AND tx_hash IS NOT NULL ORDER BY seq DESC LIMIT 20");
        let pending = 0;
        for (const x of sent.rows) {
          const tx = (await c.rig.rpc('eth_getTransactionByHash', [x.tx_hash])) as { blockHash: string | null } | null;
          if (tx !== null && tx.blockHash === null) pending++;
        }
        if (pending === 0) return false;
        await c.rig.rpc('anvil_setBlockGasLimit', ['0x' + (20_000).toString(16)]);
        raised = true;
        c.faultActive = true;
        c.holdMining = false;
        c.note(`block gas limit lowered to 20000 with ${pending} transaction(s) pending`);
        return false;
      }
      return (await transitionsSince(c.db, since, 'expired')) > 0;
    },
    async end(c) {
      c.holdMining = false;
      c.faultActive = false;
      await c.rig.rpc('anvil_setBlockGasLimit', ['0x' + limit.toString(16)]);
    },
  };
}

/** A reorg shallower than finality: a snapshot, blocks until an attempt is seen included, then evm_revert. */
export function reorgPhase(): Phase {
  let since = 0;
  let snapshot = '';
  let from = 0n;
  const revert = async (c: ChaosContext) => {
    if (snapshot === '') return;
    const head = await c.rig.anvil.publicClient.getBlockNumber({ cacheTime: 0 });
    const ok = await c.rig.rpc('evm_revert', [snapshot]);
    snapshot = '';
    c.note(`evm_revert of ${head - from} block(s): ${String(ok)}`);
  };
  return {
    name: 'reorg: evm_snapshot / evm_revert below finality',
    maxTicks: 40,
    async begin(c) {
      since = await lastTransition(c.db);
      snapshot = String(await c.rig.rpc('evm_snapshot'));
      from = await c.rig.anvil.publicClient.getBlockNumber({ cacheTime: 0 });
      await c.probe();
    },
    async step(c) {
      const head = await c.rig.anvil.publicClient.getBlockNumber({ cacheTime: 0 });
      // Never deeper than confirmations - 1 blocks: a final block is never reorganised.
      c.holdMining = head - from >= BigInt(c.confirmations - 1);
      if ((await transitionsSince(c.db, since, 'included')) === 0) return false;
      await revert(c);
      return true;
    },
    async end(c) {
      // Out of ticks with no inclusion seen: the blocks are reorganised all the same.
      await revert(c);
      c.holdMining = false;
    },
  };
}

/** SIGKILL of a worker while it holds claims, restarted a few ticks later under the same name. */
export function killPhase(name: string): Phase {
  let killedAt = -1;
  return {
    name: `kill -9 ${name} mid-flight`,
    maxTicks: 60,
    async begin(c) {
      killedAt = -1;
      await c.probe();
    },
    async step(c, tick) {
      if (killedAt < 0) {
        // Watch closely for a moment: a round holds its claims only while it works.
        for (let i = 0; i < 40; i++) {
          const r = await c.db.query<{ n: number }>('SELECT count(*)::int AS n FROM orch_withdrawals WHERE lease_owner = $1 AND lease_until > now()', [name]);
          if (r.rows[0]!.n > 0) {
            await c.workers.kill(name);
            c.note(`SIGKILL ${name} holding ${r.rows[0]!.n} claim(s)`);
            killedAt = tick;
            return false;
          }
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return false;
      }
      if (tick - killedAt < 3) return false;
      c.workers.start(name);
      return true;
    },
    async end(c) {
      if (!c.workers.running(name)) c.workers.start(name);
    },
  };
}

/**
 * REVERTED: the whale's token withdrawal is more than the hot address holds of the token (the whale's
 * deposit was credited before its tokens reached the hot address); the chain reverts it, an operator
 * fails it, and then the late tokens arrive, so the ledger and the chain agree again.
 */
export function revertedPhase(): Phase {
  let whale: { id: string; amount: bigint } | null = null;
  let arrived = false;
  const arrive = async (c: ChaosContext) => {
    if (arrived || whale === null) return;
    arrived = true;
    await c.rig.funderSend(c.rig.token, 0n, transferData(c.rig.hot.address as Hex, whale.amount));
    c.note("the whale's tokens reached the hot address");
  };
  return {
    name: 'reverted: a token transfer above the hot balance',
    // Until the whale's withdrawal is failed: the run's own tick limit bounds it.
    maxTicks: Number.MAX_SAFE_INTEGER,
    async begin(c) {
      whale = await c.createWhale();
    },
    async step(c) {
      const r = await c.db.query<{ state: string }>('SELECT state FROM orch_withdrawals WHERE id = $1', [whale!.id]);
      if (r.rows[0]!.state !== 'failed') return false;
      await arrive(c);
      return true;
    },
    async end(c) {
      await arrive(c);
    },
  };
}
