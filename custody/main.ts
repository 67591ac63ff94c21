// The custody service process: reads its config (a JSON file from --config or $CUSTODY_CONFIG), opens
// the ledger database, serves the HTTP API (custody/app.ts) and runs the modules' periodic jobs on one
// JobRunner. `custodyctl serve` runs it in the foreground. Nothing it logs holds a secret: the config's
// tokens are hashes, and the bridge token is read from its file only when a job asks for it.
import { readFileSync } from 'node:fs';
import { serve, type ServerType } from '@hono/node-server';
import type { Db } from '../ledger/db.js';
import { createCustodyApp } from './app.js';
import { CustodyTokens } from './auth.js';
import { CustodyConfigError, loadConfig, type CustodyConfig } from './config.js';
import { openCustodyDb } from './database.js';
import { JobRunner, realScheduler, type Scheduler } from './jobs.js';
import type { CustodyModule, ServiceContext } from './module.js';
import { SERVICE_MODULES } from './modules.js';
import { redactor } from './redact.js';
import { ledgerSettingsOf } from './ledger-settings.js';
import type { CustodyApp } from './routes/context.js';

export interface RunningCustody {
  url: string;
  app: CustodyApp;
  db: Db;
  jobs: JobRunner;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Defaults to SERVICE_MODULES. */
  modules?: readonly CustodyModule[];
  /** Defaults to real timers. */
  scheduler?: Scheduler;
  log?: (line: string) => void;
}

/** The config file's path: the flag, else $CUSTODY_CONFIG; a CustodyConfigError without either. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const p = flag ?? env.CUSTODY_CONFIG;
  if (p === undefined || p === '') throw new CustodyConfigError('(file)', 'give the config file with --config FILE or $CUSTODY_CONFIG');
  return p;
}

function bridgeOf(cfg: CustodyConfig): ServiceContext['bridge'] {
  if (!cfg.bridge) return undefined;
  const { url, tokenFile } = cfg.bridge;
  return {
    url,
    token() {
      if (tokenFile === undefined) throw new CustodyConfigError('bridge.tokenFile', 'no bridge token file is configured');
      try {
        return readFileSync(tokenFile, 'utf8').trim();
      } catch (err) {
        throw new CustodyConfigError('bridge.tokenFile', `cannot read ${tokenFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
      }
    },
  };
}

/** Opens the database, starts the jobs and the HTTP server. */
export async function startCustody(cfg: CustodyConfig, opts: StartOptions = {}): Promise<RunningCustody> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`custody: ${line}\n`));
  const scheduler = opts.scheduler ?? realScheduler;
  const modules = opts.modules ?? SERVICE_MODULES;
  const db = await openCustodyDb(cfg.database);
  const redact = redactor(cfg.chains);
  const describe = (err: unknown) => redact(err instanceof Error ? `${err.name}: ${err.message}` : 'non-error thrown');
  const jobs = new JobRunner(scheduler, (name, err) => log(`job ${name} failed: ${describe(err)}`), describe);
  let server: ServerType | undefined;
  try {
    const svc: ServiceContext = { db, chains: cfg.chains, bridge: bridgeOf(cfg), scheduler, ledger: ledgerSettingsOf(cfg), ...(cfg.withdrawals ? { withdrawals: cfg.withdrawals } : {}) };
    for (const m of modules) for (const job of m.jobs?.(svc) ?? []) jobs.add(job);
    const app = createCustodyApp({ db, tokens: new CustodyTokens(cfg.tokens), modules, jobs: () => jobs.status(), logError: log, redact, service: svc });
    const port = await new Promise<number>((resolve, reject) => {
      server = serve({ fetch: app.fetch, hostname: cfg.http.host, port: cfg.http.port }, (info) => resolve(info.port));
      server.once('error', reject);
    });
    jobs.start();
    const host = cfg.http.host.includes(':') ? `[${cfg.http.host}]` : cfg.http.host;
    return {
      url: `http://${host}:${port}`,
      app,
      db,
      jobs,
      async close() {
        await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
        await jobs.stop();
        await db.close();
      },
    };
  } catch (err) {
    server?.close();
    await jobs.stop();
    await db.close();
    throw err;
  }
}

/** Reads the config at `path` and starts the service. */
export async function startFromFile(path: string, opts: StartOptions = {}): Promise<RunningCustody> {
  return startCustody(loadConfig(path), opts);
}
