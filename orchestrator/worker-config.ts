// A worker's configuration as a JSON file (the database, the bridge's URL and token, the chains with
// their endpoints, hot key, fee cap and deadlines, the checks and the exception routes) and the Runtime
// it describes. Read by worker-process.ts; the custody service can build its workers from it too.
import type { Hex } from 'viem';
import { BridgeClient } from '../ledger/bridge-client.js';
import type { Finality } from '../ledger/chain.js';
import type { Db } from '../ledger/db.js';
import { endpoints } from './endpoints.js';
import { DEFAULT_ROUTE_POLICY, type RoutePolicy } from './exception-routes.js';
import type { ChainRuntime, Runtime } from './runtime.js';

/** The config file: amounts as decimal strings (JSON has no bigint). */
export interface WorkerConfig {
  /** The worker's name: the lease owner and the actor in transition logs. */
  worker: string;
  databaseUrl: string;
  bridge: { url: string; token: string };
  /** The custody service's requester id at the appliance (no request stamp in this version). */
  requesterId: string;
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
  checks?: { dailyLimits?: Record<string, string>; riskList?: string[]; travelRuleAbove?: Record<string, string> };
  routes?: Partial<RoutePolicy>;
  /** The database lease on a claimed withdrawal (default 60 s). */
  leaseMs?: number;
  /** Withdrawals claimed per round (default 10). */
  limit?: number;
  /** The pause after a round that moved nothing (default 200 ms). */
  idleMs?: number;
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

/** The Runtime a config describes, on `db`; asks the bridge for the device id. */
export async function runtimeFromConfig(cfg: WorkerConfig, db: Db): Promise<Runtime> {
  const bridge = new BridgeClient({ baseUrl: cfg.bridge.url, token: cfg.bridge.token });
  return {
    db,
    bridge,
    deviceId: await bridge.deviceId(),
    requester: { id: cfg.requesterId },
    chains: new Map(cfg.chains.map((c) => [BigInt(c.chainId).toString(), chainRuntimeOf(c)])),
    checks: { dailyLimits: bigMap(cfg.checks?.dailyLimits), riskList: new Set((cfg.checks?.riskList ?? []).map((a) => a.toLowerCase())), travelRuleAbove: bigMap(cfg.checks?.travelRuleAbove) },
    routes: { ...DEFAULT_ROUTE_POLICY, ...cfg.routes },
    actor: cfg.worker,
  };
}
