// What the deposits, sweeps and reconciliation modules share: parameter shapes, the
// service context they need, and bridge clients acting as the service's requester or its admin (a
// missing bridge, admin or token file is a 503 not_configured problem naming the config field).
import { BridgeClient } from '../../ledger/bridge-client.js';
import { CustodyConfigError, DEFAULT_LEDGER_JOBS } from '../config.js';
import type { LedgerServiceSettings, ServiceContext } from '../module.js';
import { ProblemError } from '../problem.js';

export const CHAIN_RE = /^[1-9][0-9]{0,18}$/;
export const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
export const ID_RE = /^[1-9][0-9]{0,14}$/;
/** An `after` cursor: an id, or 0 for the start. */
export const AFTER_RE = /^(0|[1-9][0-9]{0,14})$/;

/** The service context a route needs (a 503 when the app runs without one). */
export function serviceOf(svc: ServiceContext | undefined): ServiceContext {
  if (svc === undefined) throw new ProblemError('not_configured', 'this app runs without the service context (chains, bridge)');
  return svc;
}

export const settingsOf = (svc: ServiceContext): LedgerServiceSettings => svc.ledger ?? { jobs: DEFAULT_LEDGER_JOBS, requester: { id: 'custody' }, depositGroup: 'deposit' };

function bridgeOf(svc: ServiceContext): { url: string; token(): string } {
  if (svc.bridge === undefined) throw new ProblemError('not_configured', 'no bridge is configured (config bridge.url)', { field: 'bridge' });
  return svc.bridge;
}

/** A client of the bridge with the service's requester token (bridge.tokenFile). */
export function requesterClient(svc: ServiceContext): BridgeClient {
  const b = bridgeOf(svc);
  let token: string;
  try {
    token = b.token();
  } catch (err) {
    if (err instanceof CustodyConfigError) throw new ProblemError('not_configured', err.message, { field: err.field });
    throw err;
  }
  return new BridgeClient({ baseUrl: b.url, token });
}

/** A client of the bridge with the deposit-key admin's token (bridge.admin.tokenFile), and that admin. */
export function adminClient(svc: ServiceContext): { client: BridgeClient; admin: NonNullable<LedgerServiceSettings['admin']> } {
  const b = bridgeOf(svc);
  const admin = settingsOf(svc).admin;
  if (admin === undefined) throw new ProblemError('not_configured', 'no admin generates deposit keys (config bridge.admin)', { field: 'bridge.admin' });
  return { client: new BridgeClient({ baseUrl: b.url, token: admin.token() }), admin };
}

/** The appliance's device id: the configured one, else the bridge's /healthz. */
export async function deviceIdOf(svc: ServiceContext, client: BridgeClient): Promise<string> {
  return settingsOf(svc).deviceId ?? client.deviceId();
}
