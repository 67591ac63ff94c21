// The device's identity and firmware record: attestation key, certificates, enrolled measurement,
// measurements approved later by an admin quorum. Small key/value rows in the meta table, sealed.
import type { Db } from './db.js';
import type { StateSeal } from './state-seal.js';

export interface DeviceIdentityRecord {
  attestationKeyId: Uint8Array;
  attestationPublicKey: Uint8Array;
  deviceCertPem: string;
  caCertPem: string;
  enrolledMeasurement: Uint8Array;
}

interface ApprovalRow {
  measurement: Buffer;
  admin_id: string;
  expires_at: number;
  signature: Buffer;
  mac: Buffer;
}

export class DeviceMeta {
  /** Read (and checked) once: the identity changes only at provisioning, approvals only here. */
  private identityCache: DeviceIdentityRecord | undefined;
  private approvedCache: string[] | undefined;
  private readonly getStmt;
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly fwApprovalsStmt;
  private readonly fwApprovalStmt;
  private readonly insertFwApprovalStmt;
  private readonly updateFwApprovalStmt;

  constructor(
    db: Db,
    private readonly seal: StateSeal,
  ) {
    this.getStmt = db.prepare('SELECT k, v, mac FROM meta WHERE k = ?');
    this.insertStmt = db.prepare('INSERT INTO meta (k, v, mac) VALUES (?, ?, ?)');
    this.updateStmt = db.prepare('UPDATE meta SET v = ?, mac = ? WHERE k = ?');
    this.fwApprovalsStmt = db.prepare('SELECT * FROM firmware_approvals WHERE measurement = ? ORDER BY admin_id');
    this.fwApprovalStmt = db.prepare('SELECT * FROM firmware_approvals WHERE measurement = ? AND admin_id = ?');
    this.insertFwApprovalStmt = db.prepare('INSERT INTO firmware_approvals (measurement, admin_id, expires_at, signature, mac) VALUES (?, ?, ?, ?, ?)');
    this.updateFwApprovalStmt = db.prepare('UPDATE firmware_approvals SET expires_at = ?, signature = ?, mac = ? WHERE measurement = ? AND admin_id = ?');
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

  firmwareApprovals(measurement: Uint8Array): { approverId: string; expiresAt: number; signature: Uint8Array }[] {
    return (this.fwApprovalsStmt.all(measurement) as ApprovalRow[]).map((r) => {
      this.seal.require('firmware_approvals', r);
      return { approverId: r.admin_id, expiresAt: r.expires_at, signature: new Uint8Array(r.signature) };
    });
  }

  addFirmwareApproval(measurement: Uint8Array, a: { approverId: string; expiresAt: number; signature: Uint8Array }): void {
    const row = { measurement, admin_id: a.approverId, expires_at: a.expiresAt, signature: a.signature };
    const old = this.fwApprovalStmt.get(measurement, a.approverId) as ApprovalRow | undefined;
    if (old) this.updateFwApprovalStmt.run(a.expiresAt, a.signature, this.seal.replaced(old.mac, 'firmware_approvals', row), measurement, a.approverId);
    else this.insertFwApprovalStmt.run(measurement, a.approverId, a.expiresAt, a.signature, this.seal.inserted('firmware_approvals', row));
  }
}
