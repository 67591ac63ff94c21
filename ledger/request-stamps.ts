// Stamps for what the custody service asks the bridge (docs/requesters.md): the request statement is
// built from the very JSON body posted (host-bridge/request-stamp-client.ts, the bridge's own
// conversion), and signed by a Stamper, the principal's request key held wherever the service keeps it
// (a token of its own, a KMS): never in this module. The expiry is this machine's clock plus a TTL; the
// device judges it on its own time.
import { adminRequestStatement, requestStatement } from '../host-bridge/request-stamp-client.js';

/** Signs a request statement with the principal's request key: ES256 (DER) or Ed25519 signature bytes. */
export type Stamper = (statement: Uint8Array) => Promise<Uint8Array> | Uint8Array;

export interface StampingPrincipal {
  /** The principal id its bridge token is bound to (a requester, or an admin). */
  id: string;
  /** Absent: requests go unstamped (a policy that requires stamps denies them). */
  stamp?: Stamper;
}

export interface BodyStamp {
  expiresAt: number;
  signature: string;
}

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;
const expiry = (ttlSeconds: number, now?: number) => (now ?? Math.floor(Date.now() / 1000)) + ttlSeconds;

/** The stamp of a requester's POST /v1/sign/evm-transaction body under `requestId` (its Idempotency-Key). */
export async function stampSignRequest(deviceId: string, who: Required<StampingPrincipal>, body: Record<string, unknown>, requestId: string, ttlSeconds = 300, now?: number): Promise<BodyStamp> {
  const expiresAt = expiry(ttlSeconds, now);
  const statement = requestStatement({ deviceId, command: 'sign.evm-tx', body, requester: who.id, requestId, expiresAt });
  return { expiresAt, signature: hex(await who.stamp(statement)) };
}

/** The stamp of an admin's POST /v1/keys body (which names its own `requestId`). */
export async function stampKeyGenerate(deviceId: string, who: Required<StampingPrincipal>, body: Record<string, unknown>, ttlSeconds = 300, now?: number): Promise<BodyStamp> {
  const expiresAt = expiry(ttlSeconds, now);
  const statement = adminRequestStatement({ command: 'key.generate', deviceId, body, requester: who.id, expiresAt });
  return { expiresAt, signature: hex(await who.stamp(statement)) };
}

/** The stamp of an admin's POST /v1/hd-wallets/{walletId}/keys body (which names its own `requestId`). */
export async function stampHdDerive(deviceId: string, who: Required<StampingPrincipal>, walletId: string, body: Record<string, unknown>, ttlSeconds = 300, now?: number): Promise<BodyStamp> {
  const expiresAt = expiry(ttlSeconds, now);
  const statement = adminRequestStatement({ command: 'hd.derive', walletId, deviceId, body, requester: who.id, expiresAt });
  return { expiresAt, signature: hex(await who.stamp(statement)) };
}
