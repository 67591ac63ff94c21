// The device: everything a command handler may touch, opened once at boot. Handlers reach keys only
// through the key store and state only through the stores below.
import { ApplianceError } from '../protocol/errors.js';
import { encodeCanonical } from '../protocol/cbor.js';
import type { DeviceConfig } from '../softhsm-config/device-layout.js';
import type { StateView } from '../firmware-policy/state-view.js';
import { KeyStore } from './keystore.js';
import { openDb, type Db } from './state/db.js';
import { AuditLog } from './state/audit-log.js';
import { SpendLedger } from './state/spend-ledger.js';
import { KeyRegistry } from './state/key-registry.js';
import { PolicyStore } from './state/policy-store.js';
import { WhitelistStore } from './state/whitelist-store.js';
import { RequestStore } from './state/request-store.js';
import { KeyedMutex } from './keyed-mutex.js';

export interface Device {
  config: DeviceConfig;
  db: Db;
  keystore: KeyStore;
  audit: AuditLog;
  spend: SpendLedger;
  keys: KeyRegistry;
  policies: PolicyStore;
  whitelist: WhitelistStore;
  requests: RequestStore;
  /** Serialises work on one request id (a retry waits for the first attempt instead of racing it). */
  requestLocks: KeyedMutex;
  view: StateView;
  /** Unix seconds. The appliance's clock; firmware-policy receives it as an argument. */
  clock: () => number;
}

export interface OpenDeviceOptions {
  config: DeviceConfig;
  stateDb: string;
  keystore: KeyStore;
  clock?: () => number;
}

export function openDevice(opts: OpenDeviceOptions): Device {
  const db = openDb(opts.stateDb);
  const whitelist = new WhitelistStore(db);
  const spend = new SpendLedger(db);
  const dev: Device = {
    config: opts.config,
    db,
    keystore: opts.keystore,
    audit: new AuditLog(db, opts.config.deviceId),
    spend,
    keys: new KeyRegistry(db),
    policies: new PolicyStore(db),
    whitelist,
    requests: new RequestStore(db),
    requestLocks: new KeyedMutex(),
    view: {
      whitelistEntry: (group, chainId, address) => whitelist.entry(group, chainId, address),
      windowUsage: (keyId, asset, since) => spend.usage(keyId, asset, since),
    },
    clock: opts.clock ?? (() => Math.floor(Date.now() / 1000)),
  };
  recoverInterruptedSigning(dev);
  return dev;
}

/**
 * A request left 'reserved' was stopped between its durable reservation and the commit of its
 * signature: the signature (if any) never left the appliance. Mark it aborted, keep the reservation
 * (limits are never under-counted), and audit that.
 */
function recoverInterruptedSigning(dev: Device): void {
  const rows = dev.db.prepare("SELECT request_id FROM requests WHERE status = 'reserved'").all() as { request_id: string }[];
  if (rows.length === 0) return;
  const now = dev.clock();
  dev.db.transaction(() => {
    for (const { request_id } of rows) {
      const response = { status: 'aborted', requestId: request_id, message: 'the appliance stopped before the signature was released; nothing was signed for this request' };
      dev.requests.update(request_id, 'aborted', encodeCanonical(response), now);
      dev.audit.append(now, { kind: 'recovery.abort', requestId: request_id, outcome: 'aborted' });
    }
  })();
}

export function closeDevice(dev: Device): void {
  dev.db.close();
  dev.keystore.close();
}

export function requireKey(dev: Device, keyId: string) {
  const key = dev.keys.get(keyId);
  if (!key) throw new ApplianceError('not_found', `no key "${keyId}"`);
  return key;
}
