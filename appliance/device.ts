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
import { HdWalletStore } from './state/hd-wallet-store.js';
import { PolicyStore } from './state/policy-store.js';
import { WhitelistStore } from './state/whitelist-store.js';
import { RequestStore } from './state/request-store.js';
import { KeyedMutex } from './keyed-mutex.js';
import { DeviceMeta, type DeviceIdentityRecord } from './state/device-meta.js';
import { GroupCommitter } from './state/group-commit.js';
import { NonceGuardStore } from './state/nonce-guard-store.js';
import { AllowanceStore } from './state/allowance-store.js';
import { PasskeyCounterStore } from './state/passkey-counter-store.js';
import { PolicyProposals } from './state/policy-proposals.js';
import { StateSeal } from './state/state-seal.js';
import { DEFAULT_CLOCK_TOLERANCE_SECONDS, SealedState } from './sealed-state.js';
import { RefusalLog } from './refusal-log.js';
import { DeviceClock, systemClockSources, type ClockSources } from './device-clock.js';
import type { TimeBounds } from '../firmware-policy/device-time.js';
import { DeviceMetrics } from './device-metrics.js';
import { StageTimers } from './stage-timers.js';
import { useApprovalVerifiers } from '../firmware-policy/approvals/verify-signature.js';
import { NATIVE_APPROVAL_VERIFIERS } from './native-verify.js';

export interface Device {
  config: DeviceConfig;
  db: Db;
  keystore: KeyStore;
  audit: AuditLog;
  spend: SpendLedger;
  keys: KeyRegistry;
  /** HD wallets: seeds in the token and the keys derived from them (docs/hd-wallets.md). */
  hd: HdWalletStore;
  policies: PolicyStore;
  whitelist: WhitelistStore;
  requests: RequestStore;
  meta: DeviceMeta;
  nonces: NonceGuardStore;
  allowances: AllowanceStore;
  /** Passkey signature counters, stored with the allowed decision that counted the approval. */
  passkeyCounters: PasskeyCounterStore;
  proposals: PolicyProposals;
  /** Row MACs, the state digest and the checkpoint; every state write runs in `seal.transaction`. */
  seal: StateSeal;
  /** Tamper detection: the boot check, the refusal guard, the token anchor. */
  sealed: SealedState;
  /** Measurement of the code this process runs (computed at boot). */
  measurement: Uint8Array;
  /** Group commit of the signing path's state changes (one fsync for many requests). */
  commits: GroupCommitter;
  /** Serialises work on one request id (a retry waits for the first attempt instead of racing it). */
  requestLocks: KeyedMutex;
  /** Activity counters since this process started (in memory; the `metrics` command answers them). */
  metrics: DeviceMetrics;
  /** Time per stage of the signing path since this process started (the `metrics` command answers it). */
  stages: StageTimers;
  /** Audits refusals, counting identical ones (docs/auditors.md "Refusals in the audit log"). */
  refusals: RefusalLog;
  view: StateView;
  /**
   * Unix seconds: the device's own time, the earliest plausible now (docs/device-time.md). Every
   * stamp, hold, time lock and window is measured on it; a host clock moved forward does not move it.
   */
  clock: () => number;
  /** Both bounds of now, for firmware-policy (holds and windows take the earliest, approval expiry the latest). */
  time: () => TimeBounds;
  /** The device's time source: the host clock reading, the time nonce, admin-attested advances. */
  deviceClock: DeviceClock;
}

export interface OpenDeviceOptions {
  config: DeviceConfig;
  stateDb: string;
  keystore: KeyStore;
  measurement: Uint8Array;
  /** The host wall clock and the monotonic clock (default: this process's). */
  clockSources?: ClockSources;
  /** How far the host clock may be behind the last committed time before the device refuses (default 300 s). */
  clockToleranceSeconds?: number;
}

export function openDevice(opts: OpenDeviceOptions): Device {
  // Approver signatures are checked on OpenSSL (the same answers as the pure verifiers, faster).
  useApprovalVerifiers(NATIVE_APPROVAL_VERIFIERS);
  const db = openDb(opts.stateDb);
  const deviceClock = new DeviceClock(opts.clockSources ?? systemClockSources());
  const clock = () => deviceClock.now();
  const seal = new StateSeal(db, opts.config.deviceId, clock);
  const whitelist = new WhitelistStore(db, seal);
  const spend = new SpendLedger(db, seal);
  const nonces = new NonceGuardStore(db, seal);
  const allowances = new AllowanceStore(db, seal);
  const passkeyCounters = new PasskeyCounterStore(db, seal);
  const audit = new AuditLog(db, opts.config.deviceId);
  audit.onAppend = () => seal.touch();
  const metrics = new DeviceMetrics();
  const stages = new StageTimers();
  const dev = {
    config: opts.config,
    db,
    keystore: opts.keystore,
    audit,
    spend,
    keys: new KeyRegistry(db, seal),
    hd: new HdWalletStore(db, seal),
    policies: new PolicyStore(db, seal),
    whitelist,
    requests: new RequestStore(db, seal),
    meta: new DeviceMeta(db, seal),
    nonces,
    allowances,
    passkeyCounters,
    proposals: new PolicyProposals(db, seal),
    seal,
    measurement: opts.measurement,
    requestLocks: new KeyedMutex(),
    refusals: new RefusalLog(audit, (fn) => seal.transaction(fn), clock),
    metrics,
    stages,
    commits: new GroupCommitter(
      db,
      (fn) => stages.time('commit_flush', () => seal.transaction(fn)),
      (size) => metrics.groupCommit(size),
      () => seal.whenDurable(),
    ),
    view: {
      whitelistEntry: (group, chainId, address) => whitelist.entry(group, chainId, address),
      windowUsage: (keyId, asset, since) => spend.usage(keyId, asset, since),
      windowUsages: (keyId, asset, sinces) => spend.usages(keyId, asset, sinces),
      nonceRecord: (keyId, chainId, nonce) => nonces.get(keyId, chainId, nonce),
      allowance: (keyId, asset, spender) => allowances.get(keyId, asset, spender),
      webauthnCounter: (credentialId) => passkeyCounters.get(credentialId),
    },
    clock,
    time: () => deviceClock.bounds(),
    deviceClock,
  } as Omit<Device, 'sealed'> as Device;
  dev.sealed = new SealedState(dev, opts.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS);
  dev.sealed.attachKey();
  attachAuditSigner(dev);
  dev.sealed.boot();
  if (dev.meta.identity() && dev.sealed.status().ok) recoverInterruptedSigning(dev);
  return dev;
}

/** Once the device has its attestation key, audit entries are signed with it. */
export function attachAuditSigner(dev: Device): void {
  const id = dev.meta.identity();
  if (!id) return;
  dev.audit.attachSigner({ measurement: dev.measurement, sign: (tbs) => dev.stages.time('audit_sign', () => dev.keystore.signP256Sync(id.attestationKeyId, tbs)) });
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
  const ids = dev.requests.reservedIds();
  if (ids.length === 0) return;
  const now = dev.clock();
  dev.seal.transaction(() => {
    for (const requestId of ids) {
      const response = { status: 'aborted', requestId, message: 'the appliance stopped before the signature was released; nothing was signed for this request' };
      dev.requests.update(requestId, 'aborted', encodeCanonical(response), now);
      const kept = dev.spend.reservationsOf(requestId);
      dev.audit.append(now, { kind: 'recovery.abort', requestId, outcome: 'aborted', reservations: kept });
    }
  });
  dev.sealed.ensureAnchored();
}

export function closeDevice(dev: Device): void {
  try {
    dev.refusals.flushAll(); // the counts of repeated refusals not yet written
  } catch {
    /* a broken state refuses writes: the counts are lost, their first entries are in the log */
  }
  try {
    // A clean stop seals the device's time, so the next boot resumes from here (docs/device-time.md).
    const committed = dev.seal.committed;
    if (committed && dev.clock() > committed.time && dev.sealed.status().ok) dev.seal.transaction(() => dev.seal.touch());
    dev.sealed.ensureAnchored();
  } catch {
    /* closing anyway: an unanchored last commit reads as a crash at the next boot */
  }
  try {
    dev.seal.closeWal();
  } catch {
    /* a flush that failed was already refused to every caller; SQLite recovers the log at the next open */
  }
  dev.db.close();
  dev.keystore.close();
}

/** The device's attestation identity, or 'unavailable' before provisioning. */
export function requireIdentity(dev: Device): DeviceIdentityRecord {
  const id = dev.meta.identity();
  if (!id) throw new ApplianceError('unavailable', 'device has no attestation identity');
  return id;
}

export function requireKey(dev: Device, keyId: string) {
  const key = dev.keys.get(keyId);
  if (!key) throw new ApplianceError('not_found', `no key "${keyId}"`);
  return key;
}
