// Shared by the custody service's ledger route tests (test/custody/routes/reconciliation.test.ts, and
// test/e2e/custody-deposits.test.ts and custody-sweeps.test.ts through the real bridge and appliance):
// a service context over an in-memory ledger and the given chains (a hand-driven ManualScheduler, so jobs run only when a test moves the
// clock), the app with the three modules, a JobRunner holding their jobs, and a request helper.
import { CustodyTokens } from '../../custody/auth.js';
import { createCustodyApp } from '../../custody/app.js';
import { DEFAULT_LEDGER_JOBS } from '../../custody/config.js';
import { JobRunner, ManualScheduler } from '../../custody/jobs.js';
import type { LedgerServiceSettings, ServiceContext } from '../../custody/module.js';
import { depositsModule } from '../../custody/routes/deposits.js';
import { reconciliationModule } from '../../custody/routes/reconciliation.js';
import { sweepsModule } from '../../custody/routes/sweeps.js';
import type { CustodyApp } from '../../custody/routes/context.js';
import type { ChainConfig } from '../../ledger/chain.js';
import type { Db } from '../../ledger/db.js';
import { TOKEN_RECORDS } from './fixtures.js';

export const LEDGER_OPS_MODULES = [depositsModule, sweepsModule, reconciliationModule];

export interface LedgerService {
  svc: ServiceContext;
  app: CustodyApp;
  clock: ManualScheduler;
  jobs: JobRunner;
  failures: string[];
}

export function ledgerService(db: Db, chains: ChainConfig[], o: { bridge?: ServiceContext['bridge']; settings?: Partial<LedgerServiceSettings> } = {}): LedgerService {
  const clock = new ManualScheduler(0);
  const settings: LedgerServiceSettings = { jobs: DEFAULT_LEDGER_JOBS, requester: { id: 'custody' }, depositGroup: 'deposit', ...o.settings };
  const svc: ServiceContext = { db, chains, bridge: o.bridge, scheduler: clock, ledger: settings };
  const failures: string[] = [];
  const jobs = new JobRunner(clock, (name, err) => failures.push(`${name}: ${err instanceof Error ? err.message : String(err)}`));
  for (const m of LEDGER_OPS_MODULES) for (const j of m.jobs?.(svc) ?? []) jobs.add(j);
  const app = createCustodyApp({ db, tokens: new CustodyTokens(TOKEN_RECORDS), modules: LEDGER_OPS_MODULES, service: svc, logError: (l) => failures.push(l) });
  return { svc, app, clock, jobs, failures };
}

export interface Answer {
  status: number;
  type: string | null;
  body: Record<string, unknown>;
  text: string;
}

export async function call(app: CustodyApp, method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const h: Record<string, string> = { Authorization: `Bearer ${token}`, ...headers };
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await app.request(path, { method, headers: h, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  const type = res.headers.get('Content-Type');
  return { status: res.status, type, text, body: type?.includes('json') ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
