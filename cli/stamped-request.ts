// `hsmctl sign evm` (alias `sign tx`) / `sign typed-data`: a requester's signing request, stamped with its request key in
// its own token (requester-token.ts) and posted to the bridge. The statement is built from the very
// body posted (host-bridge/request-stamp-client.ts), the device id from the bridge's GET /healthz
// unless given, and the expiry from this machine's clock plus a TTL (the device judges it on its own
// time). Errors name the bridge URL they came from.
import { ApplianceError } from '../protocol/errors.js';
import { requestStatement, type StampedCommand } from '../host-bridge/request-stamp-client.js';
import { stampWithToken } from './requester-token.js';
import { fetchBridge, type BridgeAnswer } from './bridge-connection.js';

export interface StampedRequestOptions {
  varRoot: string;
  /** The requester's name: its token under `<var>/requesters/<name>/` and its id in the policy. */
  requester: string;
  url: string;
  token: string;
  command: StampedCommand;
  /** The JSON body without its stamp. */
  body: Record<string, unknown>;
  idempotencyKey: string;
  /** When absent, read from GET /healthz. */
  deviceId?: string;
  ttlSeconds: number;
  now?: number;
}

const PATHS: Record<StampedCommand, string> = { 'sign.evm-tx': '/v1/sign/evm-transaction', 'sign.typed-data': '/v1/sign/typed-data' };

async function call(url: string, init: RequestInit): Promise<BridgeAnswer> {
  const res = await fetchBridge(url, init);
  const text = await res.text();
  try {
    return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  } catch {
    throw new ApplianceError('unavailable', `${url} answered HTTP ${res.status} with a body that is not JSON`);
  }
}

/** The device id the bridge's appliance reports (GET /healthz, no token). */
export async function bridgeDeviceId(baseUrl: string): Promise<string> {
  const url = `${baseUrl}/healthz`;
  const { status, json } = await call(url, { method: 'GET' });
  if (typeof json.deviceId !== 'string') throw new ApplianceError('unavailable', `${url} answered HTTP ${status} without a device id; give --device-id`);
  return json.deviceId;
}

export async function sendStampedRequest(o: StampedRequestOptions): Promise<BridgeAnswer> {
  const base = o.url.replace(/\/+$/, '');
  if (!Number.isSafeInteger(o.ttlSeconds) || o.ttlSeconds <= 0) throw new ApplianceError('bad_request', '--ttl must be a positive number of seconds');
  const deviceId = o.deviceId ?? (await bridgeDeviceId(base));
  const expiresAt = (o.now ?? Math.floor(Date.now() / 1000)) + o.ttlSeconds;
  const { stamp: _ignored, ...body } = o.body;
  const statement = requestStatement({ deviceId, command: o.command, body, requester: o.requester, requestId: o.idempotencyKey, expiresAt });
  const signature = await stampWithToken(o.varRoot, o.requester, statement);
  const url = `${base}${PATHS[o.command]}`;
  return call(url, {
    method: 'POST',
    headers: { Authorization: `Bearer ${o.token}`, 'Content-Type': 'application/json', 'Idempotency-Key': o.idempotencyKey },
    body: JSON.stringify({ ...body, stamp: { expiresAt, signature: `0x${Buffer.from(signature).toString('hex')}` } }),
  });
}
