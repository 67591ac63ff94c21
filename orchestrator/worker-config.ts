// A worker process's configuration as a JSON file (the database; the bridge's URL and the requester's
// token, id and request key, as the custody service holds them; the chains with their endpoints, hot
// key, fee cap and deadlines; the checks and the exception routes) and the Runtime builder it describes
// (runtime-builder.ts, the one the custody service uses too). Read by worker-process.ts. File paths are
// relative to the config file's folder; the token and key files are read on each round.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Hex } from 'viem';
import { BridgeClient } from '../ledger/bridge-client.js';
import type { Finality } from '../ledger/chain.js';
import type { Db } from '../ledger/db.js';
import { keyFileStamper } from '../ledger/key-file-stamper.js';
import type { StampingPrincipal } from '../ledger/request-stamps.js';
import { endpoints } from './endpoints.js';
import { DEFAULT_ROUTE_POLICY, type RoutePolicy } from './exception-routes.js';
import { riskListFile, runtimeBuilder } from './runtime-builder.js';
import type { ChainRuntime, Runtime } from './runtime.js';

/** The config file: amounts as decimal strings (JSON has no bigint). */
export interface WorkerConfig {
  /** The worker's name: the lease owner and the actor in transition logs. */
  worker: string;
  databaseUrl: string;
  /** The bridge and the requester's token: in a file (`tokenFile`, read each round) or inline (`token`). */
  bridge: { url: string; token?: string; tokenFile?: string };
  /** The custody service's requester id at the appliance (the token is bound to it). */
  requesterId: string;
  /** The requester's request key (PKCS#8 PEM, P-256 or Ed25519): every sign request is stamped with it when given. */
  requestKeyFile?: string;
  /** Lifetime of a request stamp in seconds (default: the stamper's, 300). */
  stampTtlSeconds?: number;
  /** The appliance's device id (stamps name it); absent: read from the bridge's /healthz. */
  deviceId?: string;
  chains: {
    chainId: string;
    endpoints: string[];
    quorum?: number;
    hot: { keyId: string; address: string };
    finality: Finality;
    feeCap: { gasLimit: string; maxFeeWei: string };
    gasLimits: { native: string; erc20: string };
    inclusionDeadlineBlocks: number;
  }[];
  /** The W1 checks: a risk list inline (`riskList`) or in a file (`riskListFile`, read each round). */
  checks?: { dailyLimits?: Record<string, string>; riskList?: string[]; riskListFile?: string; travelRuleAbove?: Record<string, string> };
  routes?: Partial<RoutePolicy>;
  /** The database lease on a claimed withdrawal (default 60 s). */
  leaseMs?: number;
  /** Withdrawals claimed per round (default 10). */
  limit?: number;
  /** The pause after a round that moved nothing (default 200 ms). */
  idleMs?: number;
}

/** A field of the worker config that cannot be used (a file it names cannot be read, or both or neither of two alternatives). */
export class WorkerConfigError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`worker config ${field}: ${message}`);
    this.name = 'WorkerConfigError';
    this.field = field;
  }
}

const bigMap = (m: Record<string, string> = {}): Record<string, bigint> => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, BigInt(v)]));

export function chainRuntimeOf(c: WorkerConfig['chains'][number]): ChainRuntime {
  return {
    chainId: BigInt(c.chainId),
    endpoints: endpoints(c.endpoints),
    ...(c.quorum === undefined ? {} : { quorum: c.quorum }),
    hot: { keyId: c.hot.keyId, address: c.hot.address as Hex },
    finality: c.finality,
    feeCap: { gasLimit: BigInt(c.feeCap.gasLimit), maxFeeWei: BigInt(c.feeCap.maxFeeWei) },
    gasLimits: { native: BigInt(c.gasLimits.native), erc20: BigInt(c.gasLimits.erc20) },
    inclusionDeadlineBlocks: c.inclusionDeadlineBlocks,
  };
}

/** The requester's token: read from its file on each call, or the inline one. */
function tokenOf(cfg: WorkerConfig, baseDir: string): () => string {
  const { token, tokenFile } = cfg.bridge;
  if ((token === undefined) === (tokenFile === undefined)) throw new WorkerConfigError('bridge', 'expected exactly one of "token" and "tokenFile"');
  if (token !== undefined) return () => token;
  const file = resolve(baseDir, tokenFile!);
  return () => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new WorkerConfigError('bridge.tokenFile', `cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
}

function riskListOf(cfg: WorkerConfig, baseDir: string): () => ReadonlySet<string> {
  const { riskList, riskListFile: file } = cfg.checks ?? {};
  if (riskList !== undefined && file !== undefined) throw new WorkerConfigError('checks', 'expected at most one of "riskList" and "riskListFile"');
  if (file !== undefined) return riskListFile(resolve(baseDir, file), (reason) => new WorkerConfigError('checks.riskListFile', reason));
  const inline = new Set((riskList ?? []).map((a) => a.toLowerCase()));
  return () => inline;
}

/** The Runtime builder a config describes, on `db`; relative file paths are taken from `baseDir`. */
export function workerRuntimeBuilder(cfg: WorkerConfig, db: Db, baseDir: string): () => Promise<Runtime> {
  const token = tokenOf(cfg, baseDir);
  const requester: StampingPrincipal = { id: cfg.requesterId };
  if (cfg.requestKeyFile !== undefined) requester.stamp = keyFileStamper(resolve(baseDir, cfg.requestKeyFile), (reason) => new WorkerConfigError('requestKeyFile', reason));
  return runtimeBuilder({
    db,
    actor: cfg.worker,
    chains: cfg.chains.map(chainRuntimeOf),
    bridge: () => new BridgeClient({ baseUrl: cfg.bridge.url, token: token() }),
    deviceId: cfg.deviceId,
    requester,
    stampTtlSeconds: cfg.stampTtlSeconds,
    checks: { dailyLimits: bigMap(cfg.checks?.dailyLimits), travelRuleAbove: bigMap(cfg.checks?.travelRuleAbove) },
    riskList: riskListOf(cfg, baseDir),
    routes: { ...DEFAULT_ROUTE_POLICY, ...cfg.routes },
  });
}
