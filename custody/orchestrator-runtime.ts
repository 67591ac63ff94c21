// The withdrawal worker as a periodic job of the custody service: the orchestrator's Runtime made from
// the service's config (the bridge as the service's requester, with its token file and request key;
// per chain its endpoints, hot key, finality, fee cap, gas limits and deadline; the W1 checks), and the
// `withdrawals` job that runs one worker round (orchestrator/worker.ts) every jobs.withdrawalsEveryMs.
// The token and key files are read on each round, the risk list too, so replacing a file needs no restart.
import { readFileSync } from 'node:fs';
import { endpoints } from '../orchestrator/endpoints.js';
import { parseRiskList } from '../orchestrator/checks.js';
import type { ChainRuntime, Runtime } from '../orchestrator/runtime.js';
import { workRound } from '../orchestrator/worker.js';
import { CustodyConfigError, DEFAULT_LEDGER_JOBS, type WithdrawalsConfig } from './config.js';
import { JobError, type Job } from './jobs.js';
import type { ServiceContext } from './module.js';
import { deviceIdOf, requesterClient, settingsOf } from './routes/ledger-ops.js';

function riskList(file: string | undefined): Set<string> {
  if (file === undefined) return new Set();
  const field = 'withdrawals.checks.riskListFile';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CustodyConfigError(field, `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    return parseRiskList(text);
  } catch (err) {
    throw new CustodyConfigError(field, (err as Error).message);
  }
}

/** Makes the Runtime for one round: the chains once, the bridge client, device id (once) and risk list each time asked. */
export function runtimeBuilder(svc: ServiceContext, w: WithdrawalsConfig): () => Promise<Runtime> {
  const chains = new Map<string, ChainRuntime>(
    w.chains.map((c) => {
      const finality = svc.chains.find((x) => x.chainId === c.chainId)?.finality ?? { tag: 'finalized' as const };
      const rt: ChainRuntime = {
        chainId: c.chainId,
        endpoints: endpoints(c.endpoints),
        ...(c.quorum === undefined ? {} : { quorum: c.quorum }),
        hot: { keyId: c.hotKeyId, address: c.hotAddress },
        finality,
        feeCap: c.feeCap,
        gasLimits: c.gasLimits,
        inclusionDeadlineBlocks: c.inclusionDeadlineBlocks,
      };
      return [c.chainId.toString(), rt];
    }),
  );
  let deviceId: string | undefined;
  return async () => {
    const bridge = requesterClient(svc);
    deviceId ??= await deviceIdOf(svc, bridge);
    return {
      db: svc.db,
      bridge,
      deviceId,
      requester: settingsOf(svc).requester,
      ...(w.stampTtlSeconds === undefined ? {} : { stampTtlSeconds: w.stampTtlSeconds }),
      chains,
      checks: { dailyLimits: w.checks.dailyLimits, travelRuleAbove: w.checks.travelRuleAbove, riskList: riskList(w.checks.riskListFile) },
      routes: w.routes,
      actor: w.worker,
    };
  };
}

/** The `withdrawals` job, when the config has a `withdrawals` section: a worker round; a withdrawal's failed step fails the run (named in the job's status) and is tried again next round. */
export function withdrawalJobs(svc: ServiceContext): Job[] {
  const w = svc.withdrawals;
  if (w === undefined) return [];
  const build = runtimeBuilder(svc, w);
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
