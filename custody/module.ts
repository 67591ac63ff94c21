// A part of the custody service: its HTTP routes, their OpenAPI description, and its periodic jobs.
// The ledger's routes are modules; the chain watcher, reconciliation and the orchestrator plug in the
// same way (custody/modules.ts lists the service's modules). The OpenAPI test checks that what a module
// serves and what it describes are the same set of operations.
import type { ChainConfig } from '../ledger/chain.js';
import type { Db } from '../ledger/db.js';
import type { StampingPrincipal } from '../ledger/request-stamps.js';
import type { LedgerJobsConfig, WithdrawalsConfig } from './config.js';
import type { Job, Scheduler } from './jobs.js';
import type { ModuleGauge } from './metrics.js';
import type { CustodyApp, RouteContext } from './routes/context.js';

/** What a module's jobs get from the running service. */
export interface ServiceContext {
  db: Db;
  chains: ChainConfig[];
  /** The bridge, when the config names one; `token()` reads the token file on each call (never logged). */
  bridge: { url: string; token(): string } | undefined;
  scheduler: Scheduler;
  /** The ledger modules' settings (deposits, sweeps, reconciliation); absent: DEFAULT_LEDGER_JOBS, no admin. */
  ledger?: LedgerServiceSettings;
  /** The withdrawal worker's settings (config `withdrawals`); absent: no worker job. */
  withdrawals?: WithdrawalsConfig;
}

/** What the deposits, sweeps and reconciliation modules need beyond the database and chains. */
export interface LedgerServiceSettings {
  jobs: LedgerJobsConfig;
  /** The requester the bridge token (`bridge.token()`) is bound to, with its stamper when it has a request key. */
  requester: StampingPrincipal;
  /** The admin that generates deposit keys; `token()` reads its token file on each call. */
  admin?: { principal: StampingPrincipal; token(): string };
  /** The appliance's device id; absent: asked from the bridge's /healthz. */
  deviceId?: string;
  /** The policy's deposit key group. */
  depositGroup: string;
}

export interface CustodyModule {
  /** Unique; names the module in errors. */
  name: string;
  /** Registers the module's routes on the app (each with its scope middleware). */
  routes?(app: CustodyApp, r: RouteContext): void;
  /** OpenAPI path items by path (`/v1/x/{id}`), one operation per served route. */
  paths?: Record<string, Record<string, object>>;
  /** OpenAPI component schemas the paths refer to (`#/components/schemas/Name`). */
  schemas?: Record<string, object>;
  /** The module's periodic jobs, made once the service's database and chains are open. */
  jobs?(svc: ServiceContext): Job[];
  /** Gauges read from the database at each scrape of GET /metrics (docs/metrics.md); keep the queries cheap. */
  gauges?(db: Db): Promise<ModuleGauge[]>;
}
