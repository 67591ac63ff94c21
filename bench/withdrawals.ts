// The withdrawal orchestrator's benchmark: withdrawals per second from request (W0) to signed (W5),
// and how long a withdrawal takes from W0 to W3 and from W3 to broadcast (W6), read from the
// orchestrator's own transition log, beside each worker step's duration, against seed 002's service
// levels (policy check under 20 ms, signing under 50-100 ms). The world is the chaos run's rig
// (reliability/chaos/rig.ts) with no fault injected: anvil (automine off: the run mines a block about
// every 100 ms), the real appliance on SoftHSM2, the bridge over HTTP, three JSON-RPC endpoints (proxies
// in front of anvil) and the ledger and orchestrator on a PostgreSQL server started for the run with
// its durability on. Two worker loops (workRound, as a worker process runs it) share the work by the
// database lease, in this process. Withdrawals are ETH transfers below the approval tier, so none
// waits for approvers and W3 is the moment each is signed. At each level the run keeps `concurrency`
// withdrawals between W0 and W5 (a new one is asked as soon as one is broadcast) until the level's
// count is broadcast, then lets them reach W10 before the next level.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Hex } from 'viem';
import { DEFAULT_ROUTE_POLICY } from '../orchestrator/exception-routes.js';
import type { Runtime } from '../orchestrator/runtime.js';
import { workerRuntimeBuilder } from '../orchestrator/worker-config.js';
import { workRound } from '../orchestrator/worker.js';
import { createWithdrawal } from '../orchestrator/withdrawal-store.js';
import { FEE_CAP, NATIVE, startRig, type Rig } from '../reliability/chaos/rig.js';
import { creditFinalDeposit } from '../test/helpers/ledger-deposit.js';
import { CHAIN_ID, ETH } from '../test/helpers/test-device.js';
import { milestonesOf, signedPerSecond, spread, stagesOf, stepSpreads, type Spread, type StagesSummary, type StepSample, type TransitionPoint } from './withdrawal-stats.js';

export interface WithdrawalLevel {
  /** Withdrawals kept between W0 and W5 at once. */
  concurrency: number;
  withdrawals: number;
  signed: number;
  broadcasted: number;
  /** Refused, or handed to an operator (none expected: no fault is injected). */
  stopped: number;
  /** Worker steps that threw (none expected). */
  step_errors: number;
  /** Wall time from the first request to the last broadcast. */
  seconds: number;
  /** Withdrawals per second from W0 to W5, from the transition log. */
  per_s: number;
  stages: StagesSummary;
  /** Worker steps by the state they started from: the policy check (from W0), signing (from W1: nonce, fee offer, bridge and appliance, records), the broadcast (from W5). */
  steps: { policy_check: Spread; sign: Spread; broadcast: Spread };
}

export interface WithdrawalSlo {
  measure: string;
  concurrency: number;
  p50_ms: number;
  p99_ms: number;
  /** Seed 002's service level, met when the p99 is within it. */
  target_ms: number;
  met: boolean;
}

export interface WithdrawalBenchResult {
  backend: 'postgres';
  endpoints: number;
  workers: number;
  asset: string;
  levels: WithdrawalLevel[];
  /** Best W0 → W5 rate over the levels. */
  withdrawals_per_s: number;
  slo: WithdrawalSlo[];
}

/** Seed 002: policy check under 20 ms; signing under 50-100 ms (the upper bound is the pass mark). */
export const POLICY_CHECK_TARGET_MS = 20;
export const SIGNING_TARGET_MS = 100;

const WORKERS = ['bench-worker-a', 'bench-worker-b'];
const CUSTOMERS = Array.from({ length: 16 }, (_, i) => `bench-${i}`);
const CONFIRMATIONS = 2;
const TICK_MS = 25;
const MINE_EVERY = 4;
const IDLE_MS = 5;
const TO = ('0x' + '5e'.repeat(20)) as Hex;
const AMOUNT = ETH / 100n;
const PAST_W5 = ['broadcasted', 'included', 'finalized', 'ledger_posted', 'completed'];
const STOPPED = ['rejected', 'cancelled', 'failed', 'operator'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A worker's Runtime, built as a worker process builds it; its request key (the policy requires stamps) is a file in `dir`. */
async function runtimeFor(rig: Rig, worker: string, dir: string): Promise<Runtime> {
  return workerRuntimeBuilder(
    {
      worker,
      requestKeyFile: 'request-key.pem',
      databaseUrl: rig.databaseUrl,
      bridge: { url: rig.bridgeUrl, token: rig.dev.tokens.orchestrator },
      requesterId: 'orchestrator',
      chains: [
        {
          chainId: String(CHAIN_ID),
          endpoints: rig.proxies.map((p) => p.url),
          hot: rig.hot,
          finality: { confirmations: CONFIRMATIONS },
          feeCap: { gasLimit: FEE_CAP.maxGasLimit.toString(), maxFeeWei: FEE_CAP.maxFeeWei.toString() },
          gasLimits: { native: '21000', erc20: '100000' },
          // Generous: a transfer queued behind a lower nonce sent a moment later waits a block, never a bump.
          inclusionDeadlineBlocks: 20,
        },
      ],
      routes: DEFAULT_ROUTE_POLICY,
    },
    rig.db,
    dir,
  )();
}

async function statesOf(rig: Rig, ids: string[]): Promise<Map<string, string>> {
  const r = await rig.db.query<{ id: string; state: string }>('SELECT id, state FROM orch_withdrawals WHERE id = ANY($1::text[])', [ids]);
  return new Map(r.rows.map((x) => [x.id, x.state]));
}

async function transitionsOf(rig: Rig, ids: string[]): Promise<TransitionPoint[]> {
  const r = await rig.db.query<{ withdrawal_id: string; to_state: string; at_ms: number }>(
    'SELECT withdrawal_id, to_state, (extract(epoch FROM at) * 1000)::float8 AS at_ms FROM orch_withdrawal_transitions WHERE withdrawal_id = ANY($1::text[]) ORDER BY seq',
    [ids],
  );
  return r.rows.map((x) => ({ withdrawalId: x.withdrawal_id, to: x.to_state, atMs: Number(x.at_ms) }));
}

async function runLevel(rig: Rig, rts: Runtime[], concurrency: number, count: number, tag: string, say: (m: string) => void): Promise<WithdrawalLevel> {
  const ids: string[] = [];
  const mine = new Set<string>();
  const inFlight = new Set<string>();
  const samples: StepSample[] = [];
  let stepErrors = 0;
  let stopped = 0;
  let stop = false;
  const loops = rts.map(async (rt) => {
    while (!stop) {
      const r = await workRound(rt, {
        worker: rt.actor,
        now: new Date(),
        leaseMs: 10_000,
        limit: 8,
        onStep: (s) => {
          if (mine.has(s.id)) samples.push({ from: s.from, ms: s.ms });
        },
      });
      for (const e of r.errors) {
        if (stepErrors++ < 5) say(`  step error on ${e.id}: ${e.message.split('\n')[0]}`);
      }
      if (r.advanced === 0) await sleep(IDLE_MS);
    }
  });
  const started = performance.now();
  let seconds: number;
  const limitMs = 120_000 + count * 1_000;
  try {
    for (let tick = 0; ; tick++) {
      if (inFlight.size > 0) {
        for (const [id, state] of await statesOf(rig, [...inFlight])) {
          if (PAST_W5.includes(state)) inFlight.delete(id);
          else if (STOPPED.includes(state)) {
            inFlight.delete(id);
            stopped++;
          }
        }
      }
      while (inFlight.size < concurrency && ids.length < count) {
        const i = ids.length;
        const { withdrawal } = await createWithdrawal(rig.db, {
          idempotencyKey: `bench-${tag}-${i}`,
          customer: CUSTOMERS[i % CUSTOMERS.length]!,
          chainId: BigInt(CHAIN_ID),
          asset: NATIVE,
          to: TO,
          amount: AMOUNT + BigInt(i),
          actor: 'bench',
          at: new Date(),
        });
        ids.push(withdrawal.id);
        mine.add(withdrawal.id);
        inFlight.add(withdrawal.id);
      }
      if (inFlight.size === 0 && ids.length >= count) break;
      if (performance.now() - started > limitMs) throw new Error(`withdrawals c=${concurrency}: ${inFlight.size} still short of broadcast after ${Math.round(limitMs / 1000)} s`);
      if (tick % MINE_EVERY === 0) await rig.rpc('evm_mine');
      await sleep(TICK_MS);
    }
    seconds = (performance.now() - started) / 1000;
    // Let the level's withdrawals finish (W10) so the next level starts with no tracking in hand.
    const drainUntil = performance.now() + 30_000;
    while (performance.now() < drainUntil) {
      const left = [...(await statesOf(rig, ids)).values()].filter((s) => !['completed', ...STOPPED].includes(s)).length;
      if (left === 0) break;
      await rig.rpc('evm_mine');
      await sleep(TICK_MS * MINE_EVERY);
    }
  } finally {
    stop = true;
    await Promise.all(loops);
  }
  const ms = milestonesOf(await transitionsOf(rig, ids));
  const all = [...ms.values()];
  const steps = stepSpreads(samples);
  const none = spread([]);
  return {
    concurrency,
    withdrawals: count,
    signed: all.filter((m) => m.signed !== undefined).length,
    broadcasted: all.filter((m) => m.broadcasted !== undefined).length,
    stopped,
    step_errors: stepErrors,
    seconds: Math.round(seconds * 1000) / 1000,
    per_s: signedPerSecond(all),
    stages: stagesOf(ms),
    steps: { policy_check: steps.requested ?? none, sign: steps.policy_checked ?? none, broadcast: steps.signed ?? none },
  };
}

/** The service-level rows of one level: each measure's p50 and p99 beside seed 002's target. */
export function sloRows(l: WithdrawalLevel): WithdrawalSlo[] {
  const row = (measure: string, s: Spread, target: number): WithdrawalSlo => ({
    measure,
    concurrency: l.concurrency,
    p50_ms: s.p50_ms,
    p99_ms: s.p99_ms,
    target_ms: target,
    met: s.n > 0 && s.p99_ms <= target,
  });
  return [
    row('W0 → W3 (request to approved; signed, with no approval needed)', l.stages.w0_w3, POLICY_CHECK_TARGET_MS),
    row('W3 → W6 (approved or signed to broadcast)', l.stages.w3_w6, SIGNING_TARGET_MS),
    row('policy check step (W0 → W1, the worker step alone)', l.steps.policy_check, POLICY_CHECK_TARGET_MS),
    row('signing step (W1 → W5: nonce, fee offer, bridge, appliance)', l.steps.sign, SIGNING_TARGET_MS),
    row('W4 → W5 (the bridge and appliance round trip, from the log)', l.stages.w4_w5, SIGNING_TARGET_MS),
  ];
}

export async function runWithdrawalBench(o: { smoke: boolean; progress?: (m: string) => void }): Promise<WithdrawalBenchResult> {
  const say = o.progress ?? (() => {});
  const plan = o.smoke
    ? [{ concurrency: 4, count: 10 }]
    : [
        { concurrency: 4, count: 100 },
        { concurrency: 32, count: 300 },
      ];
  const rig = await startRig({ endpoints: 3, durable: true });
  const keyDir = mkdtempSync(join(tmpdir(), 'bench-wd-'));
  try {
    // The hot address funded on chain, and the customers credited by deposits that add up to it.
    const hotEth = 100n * ETH;
    await rig.funderSend(rig.hot.address, hotEth);
    for (let i = 0; i <= CONFIRMATIONS; i++) await rig.rpc('evm_mine');
    for (const c of CUSTOMERS) await creditFinalDeposit(rig.db, { customer: c, custody: rig.hot.address, asset: NATIVE, amount: hotEth / BigInt(CUSTOMERS.length), key: `fund-${c}` });
    writeFileSync(join(keyDir, 'request-key.pem'), rig.requestKeyPem, { mode: 0o600 });
    const rts = await Promise.all(WORKERS.map((w) => runtimeFor(rig, w, keyDir)));
    const levels: WithdrawalLevel[] = [];
    for (const p of plan) {
      const l = await runLevel(rig, rts, p.concurrency, p.count, `c${p.concurrency}`, say);
      say(
        `withdrawals c=${l.concurrency}: ${l.per_s}/s W0→W5; W0→W3 p50 ${l.stages.w0_w3.p50_ms} p99 ${l.stages.w0_w3.p99_ms} ms; W3→W6 p50 ${l.stages.w3_w6.p50_ms} p99 ${l.stages.w3_w6.p99_ms} ms; check step p99 ${l.steps.policy_check.p99_ms} ms; sign step p99 ${l.steps.sign.p99_ms} ms`,
      );
      levels.push(l);
    }
    return {
      backend: 'postgres',
      endpoints: rig.proxies.length,
      workers: WORKERS.length,
      asset: NATIVE,
      levels,
      withdrawals_per_s: Math.max(0, ...levels.map((l) => l.per_s)),
      slo: levels.flatMap(sloRows),
    };
  } finally {
    await rig.stop();
    rmSync(keyDir, { recursive: true, force: true });
  }
}
