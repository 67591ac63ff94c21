// The one builder of the orchestrator's Runtime (runtime.ts) from a worker's settings, shared by the
// custody service's `withdrawals` job (custody/orchestrator-runtime.ts) and the separate worker process
// (worker-config.ts). The chains are built once; each round gets a fresh bridge client (its token file
// read again) and the risk list read again, so replacing either file needs no restart; the device id is
// the configured one, else asked of the bridge once. The requester stamps with its request key when it
// has one (a policy that requires stamped requests denies unstamped ones).
import { readFileSync } from 'node:fs';
import type { BridgeClient } from '../ledger/bridge-client.js';
import type { Db } from '../ledger/db.js';
import type { StampingPrincipal } from '../ledger/request-stamps.js';
import { parseRiskList, type CheckConfig } from './checks.js';
import type { RoutePolicy } from './exception-routes.js';
import type { ChainRuntime, Runtime } from './runtime.js';

export interface RuntimeSettings {
  db: Db;
  /** The worker's name: the actor in transition logs. */
  actor: string;
  chains: readonly ChainRuntime[];
  /** A bridge client acting as the requester, made for each round. */
  bridge(): BridgeClient;
  /** The appliance's device id (stamps name it); absent: the bridge's /healthz, asked once. */
  deviceId: string | undefined;
  requester: StampingPrincipal;
  stampTtlSeconds: number | undefined;
  checks: Omit<CheckConfig, 'riskList'>;
  /** The risk list, asked for each round. */
  riskList(): ReadonlySet<string>;
  routes: RoutePolicy;
}

/** Makes the Runtime for one round each time it is called. */
export function runtimeBuilder(s: RuntimeSettings): () => Promise<Runtime> {
  const chains = new Map(s.chains.map((c) => [c.chainId.toString(), c]));
  let deviceId = s.deviceId;
  return async () => {
    const bridge = s.bridge();
    deviceId ??= await bridge.deviceId();
    return {
      db: s.db,
      bridge,
      deviceId,
      requester: s.requester,
      ...(s.stampTtlSeconds === undefined ? {} : { stampTtlSeconds: s.stampTtlSeconds }),
      chains,
      checks: { dailyLimits: s.checks.dailyLimits, travelRuleAbove: s.checks.travelRuleAbove, riskList: s.riskList() },
      routes: s.routes,
      actor: s.actor,
    };
  };
}

/** A risk list read from `file` (one address a line, parseRiskList) when asked; an unreadable or bad file is `fail(reason)`. */
export function riskListFile(file: string | undefined, fail: (reason: string) => Error): () => ReadonlySet<string> {
  return () => {
    if (file === undefined) return new Set();
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw fail(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    try {
      return parseRiskList(text);
    } catch (err) {
      throw fail((err as Error).message);
    }
  };
}
