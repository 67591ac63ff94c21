// The withdrawal worker as a periodic job of the custody service: the orchestrator's Runtime built
// (orchestrator/runtime-builder.ts) from the service's config (the bridge as the service's requester,
// with its token file and request key; per chain its endpoints, hot key, finality, fee cap, gas limits
// and deadline; the W1 checks), and the `withdrawals` job that runs one worker round
// (orchestrator/worker.ts) every jobs.withdrawalsEveryMs. The token and key files are read on each
// round, the risk list too, so replacing a file needs no restart.
import { endpoints } from '../orchestrator/endpoints.js';
import type { Runtime } from '../orchestrator/runtime.js';
import { riskListFile, runtimeBuilder } from '../orchestrator/runtime-builder.js';
import { workRound } from '../orchestrator/worker.js';
import { CustodyConfigError, DEFAULT_LEDGER_JOBS, type WithdrawalsConfig } from './config.js';
import { JobError, type Job } from './jobs.js';
import type { ServiceContext } from './module.js';
import { requesterClient, settingsOf } from './routes/ledger-ops.js';

/** Makes the Runtime for one round: the chains once, the bridge client, device id (once) and risk list each time asked. */
function custodyRuntimeBuilder(svc: ServiceContext, w: WithdrawalsConfig): () => Promise<Runtime> {
  const settings = settingsOf(svc);
  return runtimeBuilder({
    db: svc.db,
    actor: w.worker,
    chains: w.chains.map((c) => ({
      chainId: c.chainId,
      endpoints: endpoints(c.endpoints),
      ...(c.quorum === undefined ? {} : { quorum: c.quorum }),
      hot: { keyId: c.hotKeyId, address: c.hotAddress },
      finality: svc.chains.find((x) => x.chainId === c.chainId)?.finality ?? { tag: 'finalized' as const },
      feeCap: c.feeCap,
      gasLimits: c.gasLimits,
      inclusionDeadlineBlocks: c.inclusionDeadlineBlocks,
    })),
    bridge: () => requesterClient(svc),
    deviceId: settings.deviceId,
    requester: settings.requester,
    stampTtlSeconds: w.stampTtlSeconds,
    checks: { dailyLimits: w.checks.dailyLimits, travelRuleAbove: w.checks.travelRuleAbove },
    riskList: riskListFile(w.checks.riskListFile, (reason) => new CustodyConfigError('withdrawals.checks.riskListFile', reason)),
    routes: w.routes,
  });
}

/** The `withdrawals` job, when the config has a `withdrawals` section: a worker round; a withdrawal's failed step fails the run (named in the job's status) and is tried again next round. */
export function withdrawalJobs(svc: ServiceContext): Job[] {
  const w = svc.withdrawals;
  if (w === undefined) return [];
  const build = custodyRuntimeBuilder(svc, w);
  return [
    {
      name: 'withdrawals',
      everyMs: settingsOf(svc).jobs.withdrawalsEveryMs ?? DEFAULT_LEDGER_JOBS.withdrawalsEveryMs!,
      runAtStart: true,
      async run(ctx) {
        const r = await workRound(await build(), { worker: w.worker, now: new Date(ctx.now) });
        if (r.errors.length > 0) throw new JobError(`${r.errors.length} of ${r.advanced + r.errors.length} withdrawals failed a step; ${r.errors[0]!.id}: ${r.errors[0]!.message}`);
      },
    },
  ];
}
