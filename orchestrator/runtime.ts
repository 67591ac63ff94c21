// What the orchestrator's steps need at run time: the database, the bridge (as the custody service's
// requester: a token and, when the policy requires it, a stamp made by its own request key), and per
// chain its RPC endpoints, hot key, finality, fee cap and deadlines. No key or PIN of the appliance is
// here: the orchestrator only asks the bridge.
import type { Hex } from 'viem';
import type { BridgeClient } from '../ledger/bridge-client.js';
import type { Finality } from '../ledger/chain.js';
import type { Db } from '../ledger/db.js';
import type { StampingPrincipal } from '../ledger/request-stamps.js';
import type { CheckConfig } from './checks.js';
import type { Endpoint } from './endpoints.js';
import type { RoutePolicy } from './exception-routes.js';
import type { FeeCap } from './fees.js';

export interface ChainRuntime {
  chainId: bigint;
  endpoints: Endpoint[];
  /** Quorum of endpoints that must agree (default: a majority). */
  quorum?: number;
  /** The appliance key withdrawals are sent from, and its address. */
  hot: { keyId: string; address: Hex };
  finality: Finality;
  /** The policy's fee cap of this chain, so no offer is one the firmware refuses. */
  feeCap: FeeCap;
  /** Gas limits: a native transfer, an ERC-20 transfer. */
  gasLimits: { native: bigint; erc20: bigint };
  /** Blocks after sending before a pending attempt is EXPIRED (or, absent everywhere, DROPPED). */
  inclusionDeadlineBlocks: number;
}

export interface Runtime {
  db: Db;
  bridge: BridgeClient;
  deviceId: string;
  requester: StampingPrincipal;
  stampTtlSeconds?: number;
  chains: ReadonlyMap<string, ChainRuntime>;
  checks: CheckConfig;
  routes: RoutePolicy;
  /** Who the steps act as in transition logs (the worker's name). */
  actor: string;
}

export function chainOf(rt: Runtime, chainId: bigint): ChainRuntime {
  const c = rt.chains.get(chainId.toString());
  if (c === undefined) throw new RangeError(`chain ${chainId} is not configured for withdrawals`);
  return c;
}
