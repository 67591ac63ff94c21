// The chaos run's clock and hands: one tick at a time (its own schedule, not the workers'), it runs
// the fault phases in turn, creates the planned withdrawals at a steady rate, approves through the
// bridge what waits for approvers, resolves the operator's queue by a simple rule (a reverted
// withdrawal is failed; anything else is retried once no fault is active) and mines one block
// unless a phase holds mining. It stops when every planned withdrawal is finished.
import { keccak256, toHex, type Hex } from 'viem';
import { exceptionQueue, resolveWithdrawal } from '../../orchestrator/operator-actions.js';
import { createWithdrawal } from '../../orchestrator/withdrawal-store.js';
import { approvalBody, CHAIN_ID, ETH } from '../../test/helpers/test-device.js';
import type { ChaosContext, Phase } from './phases.js';
import { expiredPhase, failedPhase, inconsistentPhase, killPhase, mempoolDropPhase, downPhase, nullReceiptsPhase, reorgPhase, revertedPhase, swallowPhase } from './phases.js';
import { NATIVE, type Rig } from './rig.js';
import type { WorkerPool } from './workers.js';

export interface Planned {
  key: string;
  customer: string;
  asset: string;
  amount: bigint;
  /** Each withdrawal has a recipient of its own, so what it received on chain is what it was paid. */
  to: Hex;
}

export interface DriverOptions {
  withdrawals: number;
  tickMs: number;
  /** Ticks over which the planned withdrawals are created. */
  createTicks: number;
  /** The run gives up (and fails) after this many ticks. */
  maxTicks: number;
  confirmations: number;
  ethCustomers: string[];
  tokenCustomers: string[];
  whale: { customer: string; amount: bigint };
}

export const recipientOf = (key: string): Hex => ('0x' + keccak256(toHex(`chaos-recipient-${key}`)).slice(26)) as Hex;

/** N withdrawals: three in four ETH (one in ten of those above the approval tier), one in four the token. */
export function plan(o: Pick<DriverOptions, 'withdrawals' | 'ethCustomers' | 'tokenCustomers'>, tokenAsset: string): Planned[] {
  const out: Planned[] = [];
  for (let i = 0; i < o.withdrawals; i++) {
    const key = `chaos-${i}`;
    if (i % 4 === 3) out.push({ key, customer: o.tokenCustomers[i % o.tokenCustomers.length]!, asset: tokenAsset, amount: BigInt(10 + i) * ETH, to: recipientOf(key) });
    else {
      const big = i % 10 === 5;
      out.push({ key, customer: o.ethCustomers[i % o.ethCustomers.length]!, asset: NATIVE, amount: big ? (3n * ETH) / 2n : ETH / 100n + BigInt(i % 7) * (ETH / 1000n), to: recipientOf(key) });
    }
  }
  return out;
}

export interface DriverResult {
  ticks: number;
  notes: string[];
  timedOut: string[];
  whaleKey: string;
}

const TERMINAL = ['completed', 'failed', 'rejected', 'cancelled'];

export async function drive(rig: Rig, workers: WorkerPool, o: DriverOptions, planned: Planned[], log: (line: string) => void): Promise<DriverResult> {
  const db = rig.db;
  const queue = [...planned];
  const notes: string[] = [];
  const timedOut: string[] = [];
  const whaleKey = 'chaos-whale';
  const create = async (p: Planned) => {
    await createWithdrawal(db, { idempotencyKey: p.key, customer: p.customer, chainId: BigInt(CHAIN_ID), asset: p.asset, to: p.to, amount: p.amount, actor: 'chaos', at: new Date() });
  };
  const ctx: ChaosContext = {
    rig,
    db,
    workers,
    confirmations: o.confirmations,
    holdMining: false,
    faultActive: false,
    async probe() {
      const p = queue.shift();
      if (p === undefined) return null;
      await create(p);
      return p.key;
    },
    async createWhale() {
      const p: Planned = { key: whaleKey, customer: o.whale.customer, asset: rig.tokenAsset, amount: o.whale.amount, to: recipientOf(whaleKey) };
      planned.push(p);
      const { withdrawal } = await createWithdrawal(db, {
        idempotencyKey: p.key,
        customer: p.customer,
        chainId: BigInt(CHAIN_ID),
        asset: p.asset,
        to: p.to,
        amount: p.amount,
        actor: 'chaos',
        at: new Date(),
      });
      return { id: withdrawal.id, amount: p.amount };
    },
    note(line) {
      notes.push(line);
      log(`  ${line}`);
    },
  };
  const cycle = (first: boolean): Phase[] => [
    failedPhase(),
    swallowPhase(),
    nullReceiptsPhase(),
    killPhase(first ? workers.names[0]! : workers.names[1]!),
    inconsistentPhase(),
    mempoolDropPhase(),
    downPhase(),
    expiredPhase(),
    reorgPhase(),
    ...(first ? [revertedPhase()] : []),
  ];
  const phases = cycle(true);
  const perTick = Math.max(1, Math.ceil(Math.max(0, queue.length - phases.length) / o.createTicks));
  let current: Phase | null = null;
  let started = 0;
  let gap = 0;
  const approved = new Set<string>();
  for (let tick = 0; ; tick++) {
    if (tick > o.maxTicks) throw new Error(`the run did not settle in ${o.maxTicks} ticks`);
    if (current === null && gap <= 0 && phases.length === 0 && queue.length > phases.length + 5) phases.push(...cycle(false));
    if (current === null && gap <= 0 && phases.length > 0) {
      current = phases.shift()!;
      started = tick;
      log(`tick ${tick}: ${current.name}`);
      await current.begin(ctx);
    }
    if (current !== null) {
      const done = await current.step(ctx, tick);
      if (done || tick - started >= current.maxTicks) {
        if (!done) {
          timedOut.push(current.name);
          ctx.note(`phase timed out: ${current.name}`);
        }
        await current.end(ctx);
        current = null;
        gap = 3;
      }
    } else gap--;
    // Ordinary traffic, beside the probes the phases take.
    for (let k = 0; k < perTick && queue.length > phases.length + (current === null ? 0 : 1); k++) await create(queue.shift()!);
    await approveWaiting(rig, approved);
    await resolveQueue(rig, ctx);
    if (!ctx.holdMining) await rig.rpc('evm_mine');
    if (current === null && phases.length === 0 && queue.length === 0 && (await unfinished(rig)) === 0) {
      // The last transactions (the whale's late tokens) final before the checks.
      for (let i = 0; i <= o.confirmations; i++) await rig.rpc('evm_mine');
      return { ticks: tick + 1, notes, timedOut, whaleKey };
    }
    await new Promise((r) => setTimeout(r, o.tickMs));
  }
}

async function unfinished(rig: Rig): Promise<number> {
  const r = await rig.db.query<{ n: number }>('SELECT count(*)::int AS n FROM orch_withdrawals WHERE NOT (state = ANY($1::text[]))', [TERMINAL]);
  return r.rows[0]!.n;
}

async function bridgeJson(rig: Rig, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${rig.bridgeUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${rig.dev.tokens.approver}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** The run's approvers (two of the three) sign every request pending at the appliance, read through the bridge. */
async function approveWaiting(rig: Rig, done: Set<string>): Promise<void> {
  const page = await bridgeJson(rig, 'GET', '/v1/requests?status=pending&limit=100');
  if (page.status !== 200) return;
  for (const item of (page.json.requests ?? []) as { requestId: string; intentDigest?: string; approvals?: { approverId: string }[] }[]) {
    if (done.has(item.requestId) || typeof item.intentDigest !== 'string') continue;
    const have = new Set((item.approvals ?? []).map((a) => a.approverId));
    let ok = true;
    for (const approver of rig.dev.people.approvers.slice(0, 2)) {
      if (have.has(approver.id)) continue;
      const r = await bridgeJson(rig, 'POST', `/v1/requests/${item.requestId}/approvals`, approvalBody(approver, rig.dev.deviceId, item.intentDigest));
      ok &&= r.status === 200 || r.status === 202;
    }
    if (ok) done.add(item.requestId);
  }
}

/** The operator's rule: a reverted withdrawal is failed at once; anything else is retried when no fault is active. */
async function resolveQueue(rig: Rig, ctx: ChaosContext): Promise<void> {
  const clear = !ctx.faultActive && rig.proxies.every((p) => !p.faults.dropSends && !p.faults.refuseSends && !p.faults.nullReceipts && !p.faults.disagree && !p.faults.down);
  for (const item of await exceptionQueue(rig.db)) {
    const exception = (item.reason as { exception?: string } | null)?.exception;
    try {
      if (exception === 'reverted') await resolveWithdrawal(rig.db, item.withdrawal.id, 'fail', { actor: 'chaos-operator', note: 'reverted on chain: given back to the customer' });
      else if (clear) await resolveWithdrawal(rig.db, item.withdrawal.id, 'retry', { actor: 'chaos-operator', note: `retry after ${exception ?? 'a stop'}: the faults are cleared` });
    } catch (err) {
      ctx.note(`operator action on ${item.withdrawal.id} refused: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
