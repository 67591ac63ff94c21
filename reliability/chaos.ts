// `make chaos`: withdrawals under injected faults, end to end (issue 14). The real appliance and
// bridge, anvil behind fault-injecting JSON-RPC proxies, the ledger and the orchestrator on a
// PostgreSQL server, two worker processes (orchestrator/worker-process.ts) on it, stamping every sign
// request with the requester's request key (the policy requires it), one of them killed
// with SIGKILL mid-flight and restarted. CHAOS_WITHDRAWALS (default 200) withdrawals, ETH and the test
// token, some above the approval tier, while the faults of reliability/chaos/phases.ts come and go.
// Ends with the exception counts and one summary line; exits non-zero when any invariant is broken or
// an exception the run must cause never happened.
import { parseEther } from 'viem';
import { creditFinalDeposit } from '../test/helpers/ledger-deposit.js';
import { CHAIN_ID, ETH } from '../test/helpers/test-device.js';
import { drive, plan, type DriverOptions } from './chaos/driver.js';
import { FEE_CAP, NATIVE, startRig, transferData } from './chaos/rig.js';
import { judge } from './chaos/verdict.js';
import { startWorkers } from './chaos/workers.js';

const envInt = (name: string, fallback: number) => {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : Number.parseInt(v, 10);
};

const N = envInt('CHAOS_WITHDRAWALS', 200);
const TICK_MS = envInt('CHAOS_TICK_MS', 250);
const CONFIRMATIONS = 4;
const DEADLINE_BLOCKS = 3;
const ETH_CUSTOMERS = Array.from({ length: 10 }, (_, i) => `eth-${i}`);
const TOKEN_CUSTOMERS = Array.from({ length: 5 }, (_, i) => `tok-${i}`);
const HOT_ETH = parseEther('500');
const HOT_TOKENS = 500_000n * ETH;
const WHALE = { customer: 'whale', amount: 1_000_000n * ETH };

const out = (line: string) => process.stdout.write(line + '\n');

async function main(): Promise<void> {
  if (!Number.isSafeInteger(N) || N < 12) throw new RangeError('CHAOS_WITHDRAWALS must be at least 12 (one per fault phase and then some)');
  const started = Date.now();
  const rig = await startRig({ endpoints: 3 });
  let workers: ReturnType<typeof startWorkers> | undefined;
  try {
    // The hot address's funding on chain, and the same amounts credited to the customers as deposits.
    await rig.funderSend(rig.hot.address, HOT_ETH);
    await rig.funderSend(rig.token, 0n, transferData(rig.hot.address, HOT_TOKENS));
    for (let i = 0; i <= CONFIRMATIONS; i++) await rig.rpc('evm_mine');
    for (const c of ETH_CUSTOMERS) await creditFinalDeposit(rig.db, { customer: c, custody: rig.hot.address, asset: NATIVE, amount: HOT_ETH / BigInt(ETH_CUSTOMERS.length), key: `fund-${c}` });
    for (const c of TOKEN_CUSTOMERS)
      await creditFinalDeposit(rig.db, { customer: c, custody: rig.hot.address, asset: rig.tokenAsset, amount: HOT_TOKENS / BigInt(TOKEN_CUSTOMERS.length), key: `fund-${c}` });
    // The whale's deposit is credited now; its tokens reach the hot address only after its withdrawal reverted.
    await creditFinalDeposit(rig.db, { customer: WHALE.customer, custody: rig.hot.address, asset: rig.tokenAsset, amount: WHALE.amount, key: 'fund-whale' });

    workers = startWorkers(
      {
        databaseUrl: rig.databaseUrl,
        bridge: { url: rig.bridgeUrl, tokenFile: 'requester.token' },
        requesterId: 'orchestrator',
        requestKeyFile: 'request-key.pem',
        chains: [
          {
            chainId: String(CHAIN_ID),
            endpoints: rig.proxies.map((p) => p.url),
            hot: rig.hot,
            finality: { confirmations: CONFIRMATIONS },
            feeCap: { gasLimit: FEE_CAP.maxGasLimit.toString(), maxFeeWei: FEE_CAP.maxFeeWei.toString() },
            gasLimits: { native: '21000', erc20: '100000' },
            inclusionDeadlineBlocks: DEADLINE_BLOCKS,
          },
        ],
        routes: { maxInconsistentRounds: 2 },
        leaseMs: 4_000,
        limit: 8,
        idleMs: 100,
      },
      ['worker-a', 'worker-b'],
      { 'requester.token': rig.dev.tokens.orchestrator, 'request-key.pem': rig.requestKeyPem },
    );
    const o: DriverOptions = {
      withdrawals: N - 1,
      tickMs: TICK_MS,
      createTicks: envInt('CHAOS_CREATE_TICKS', 2 * N),
      maxTicks: envInt('CHAOS_MAX_TICKS', 400 + 6 * N),
      confirmations: CONFIRMATIONS,
      ethCustomers: ETH_CUSTOMERS,
      tokenCustomers: TOKEN_CUSTOMERS,
      whale: WHALE,
    };
    const planned = plan(o, rig.tokenAsset);
    out(`chaos: ${N} withdrawals, 2 workers on PostgreSQL, ${rig.proxies.length} endpoints, a block every ${TICK_MS} ms`);
    const driven = await drive(rig, workers, o, planned, out);
    await workers.stop();
    workers = undefined;
    const v = await judge(rig, planned, CONFIRMATIONS);
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    out(`ticks: ${driven.ticks}, seconds: ${seconds}, reorgs seen by the tracker: ${v.reorgs}, unpaid completed withdrawals: ${v.unpaid}`);
    for (const [e, n] of Object.entries(v.exceptions)) out(`exception ${e.toUpperCase()}: ${n}`);
    const missing = Object.entries(v.exceptions)
      .filter(([, n]) => n === 0)
      .map(([e]) => e.toUpperCase());
    if (missing.length > 0) out(`exceptions that never happened: ${missing.join(', ')}`);
    if (driven.timedOut.length > 0) out(`phases that timed out: ${driven.timedOut.join('; ')}`);
    out(
      `withdrawals: ${v.withdrawals}, completed: ${v.completed}, operator: ${v.operator}, double spends: ${v.doubleSpends}, nonce gaps: ${v.nonceGaps}, ledger imbalances: ${v.ledgerImbalances}, reconciliation breaks: ${v.reconciliationBreaks}`,
    );
    if (v.doubleSpends + v.unpaid + v.nonceGaps + v.ledgerImbalances + v.reconciliationBreaks > 0 || missing.length > 0 || v.withdrawals !== N) process.exitCode = 1;
  } finally {
    if (workers !== undefined) {
      process.stderr.write(workers.log().slice(-40).join('\n') + '\n');
      await workers.stop();
    }
    await rig.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`chaos failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
