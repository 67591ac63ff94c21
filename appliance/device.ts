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
import { DeviceMeta } from './state/device-meta.js';
import { GroupCommitter } from './state/group-commit.js';
import { NonceGuardStore } from './state/nonce-guard-store.js';
import { PolicyProposals } from './state/policy-proposals.js';

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
  meta: DeviceMeta;
  nonces: NonceGuardStore;
  proposals: PolicyProposals;
  /** Measurement of the code this process runs (computed at boot). */
  measurement: Uint8Array;
  /** Group commit of the signing path's state changes (one fsync for many requests). */
  commits: GroupCommitter;
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
  measurement: Uint8Array;
  clock?: () => number;
}

export function openDevice(opts: OpenDeviceOptions): Device {
  const db = openDb(opts.stateDb);
  const whitelist = new WhitelistStore(db);
  const spend = new SpendLedger(db);
  const nonces = new NonceGuardStore(db);
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
    meta: new DeviceMeta(db),
    nonces,
    proposals: new PolicyProposals(db),
    measurement: opts.measurement,
    requestLocks: new KeyedMutex(),
    commits: new GroupCommitter(db),
    view: {
      whitelistEntry: (group, chainId, address) => whitelist.entry(group, chainId, address),
      windowUsage: (keyId, asset, since) => spend.usage(keyId, asset, since),
      nonceRecord: (keyId, chainId, nonce) => nonces.get(keyId, chainId, nonce),
    },
    clock: opts.clock ?? (() => Math.floor(Date.now() / 1000)),
  };
  attachAuditSigner(dev);
  if (dev.meta.identity()) recoverInterruptedSigning(dev);
  return dev;
}

/** Once the device has its attestation key, audit entries are signed with it. */
export function attachAuditSigner(dev: Device): void {
  const id = dev.meta.identity();
  if (!id) return;
  dev.audit.attachSigner({ measurement: dev.measurement, sign: (tbs) => dev.keystore.signP256Sync(id.attestationKeyId, tbs) });
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Whether the running code is the enrolled firmware or a measurement the admin quorum approved. */
export function firmwareStatus(dev: Device): { approved: boolean; running: string; enrolled: string | null } {
  const id = dev.meta.identity();
  const running = hex(dev.measurement);
  if (!id) return { approved: false, running, enrolled: null };
  const enrolled = hex(id.enrolledMeasurement);
  return { approved: running === enrolled || dev.meta.approvedMeasurements().includes(running), running, enrolled };
}

/** Refuses key use while the firmware measurement is not approved (DESIGN.md: a firmware update is a policy change). */
export function assertFirmwareApproved(dev: Device): void {
  const fw = firmwareStatus(dev);
  if (fw.approved) return;
  throw new ApplianceError(
    'denied',
    fw.enrolled === null
      ? 'device is not provisioned: it has no attestation identity'
      : `firmware measurement ${fw.running} is not the enrolled ${fw.enrolled}; an admin quorum must approve it (firmware.approve) before the device signs`,
    { rule: 'firmware-measurement', code: 'measurement_not_approved', running: fw.running, enrolled: fw.enrolled },
  );
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
  const reservations = dev.db.prepare('SELECT key_id, asset, amount, at FROM spend WHERE request_id = ?');
  dev.db.transaction(() => {
    for (const { request_id } of rows) {
      const response = { status: 'aborted', requestId: request_id, message: 'the appliance stopped before the signature was released; nothing was signed for this request' };
      dev.requests.update(request_id, 'aborted', encodeCanonical(response), now);
      const kept = (reservations.all(request_id) as { key_id: string; asset: string; amount: string; at: number }[]).map((r) => ({
        keyId: r.key_id,
        asset: r.asset,
        amount: BigInt(r.amount),
        at: r.at,
      }));
      dev.audit.append(now, { kind: 'recovery.abort', requestId: request_id, outcome: 'aborted', reservations: kept });
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
