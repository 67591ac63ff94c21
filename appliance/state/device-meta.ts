// The device's identity and firmware record: attestation key, certificates, enrolled measurement,
// measurements approved later by an admin quorum. Small key/value rows in the meta table, sealed.
import type { Db } from './db.js';
import type { StateSeal } from './state-seal.js';
import type { Approval } from '../../firmware-policy/approvals/statement.js';
import { AdminApprovals } from './admin-approvals.js';

export interface DeviceIdentityRecord {
  attestationKeyId: Uint8Array;
  attestationPublicKey: Uint8Array;
  deviceCertPem: string;
  caCertPem: string;
  enrolledMeasurement: Uint8Array;
}

export class DeviceMeta {
  /** Read (and checked) once: the identity changes only at provisioning, approvals only here. */
  private identityCache: DeviceIdentityRecord | undefined;
  private approvedCache: string[] | undefined;
  private readonly getStmt;
  private readonly insertStmt;
  private readonly updateStmt;

  private readonly fwApprovals: AdminApprovals;

  constructor(
    db: Db,
    private readonly seal: StateSeal,
  ) {
    this.getStmt = db.prepare('SELECT k, v, mac FROM meta WHERE k = ?');
    this.fwApprovals = new AdminApprovals(db, seal, 'firmware_approvals', 'measurement');
    this.insertStmt = db.prepare('INSERT INTO meta (k, v, mac) VALUES (?, ?, ?)');
    this.updateStmt = db.prepare('UPDATE meta SET v = ?, mac = ? WHERE k = ?');
  }

  private get(k: string): Buffer | undefined {
    const row = this.getStmt.get(k) as { k: string; v: Buffer; mac: Buffer } | undefined;
    if (!row) return undefined;
    this.seal.inspect('meta', row);
    return row.v;
  }

  private put(k: string, value: Uint8Array | string): void {
    const v = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    const old = this.getStmt.get(k) as { mac: Buffer } | undefined;
    if (old) this.updateStmt.run(v, this.seal.replaced(old.mac, 'meta', { k, v }), k);
    else this.insertStmt.run(k, v, this.seal.inserted('meta', { k, v }));
  }

  identity(): DeviceIdentityRecord | undefined {
    if (this.identityCache) return this.identityCache;
    const keyId = this.get('attestationKeyId');
    if (!keyId) return undefined;
    this.identityCache = {
      attestationKeyId: new Uint8Array(keyId),
      attestationPublicKey: new Uint8Array(this.get('attestationPublicKey') ?? []),
      deviceCertPem: (this.get('deviceCertPem') ?? Buffer.alloc(0)).toString('utf8'),
      caCertPem: (this.get('caCertPem') ?? Buffer.alloc(0)).toString('utf8'),
      enrolledMeasurement: new Uint8Array(this.get('enrolledMeasurement') ?? []),
    };
    return this.identityCache;
  }

  setIdentity(r: DeviceIdentityRecord): void {
    this.identityCache = undefined;
    this.put('attestationKeyId', r.attestationKeyId);
    this.put('attestationPublicKey', r.attestationPublicKey);
    this.put('deviceCertPem', r.deviceCertPem);
    this.put('caCertPem', r.caCertPem);
    this.put('enrolledMeasurement', r.enrolledMeasurement);
  }

  /** Measurements an admin quorum approved after enrolment (firmware updates), hex. */
  approvedMeasurements(): string[] {
    if (!this.approvedCache) {
      const v = this.get('approvedMeasurements');
      this.approvedCache = v ? (JSON.parse(v.toString('utf8')) as string[]) : [];
    }
    return [...this.approvedCache];
  }

  approveMeasurement(measurementHex: string): void {
    const list = this.approvedMeasurements();
    if (!list.includes(measurementHex)) list.push(measurementHex);
    this.approvedCache = undefined;
    this.put('approvedMeasurements', JSON.stringify(list));
  }

  firmwareApprovals(measurement: Uint8Array): Approval[] {
    return this.fwApprovals.list(measurement);
  }

  addFirmwareApproval(measurement: Uint8Array, a: Approval): void {
    this.fwApprovals.add(measurement, a);
  }
}
