// The device's identity and firmware record: attestation key, certificates, enrolled measurement,
// measurements approved later by an admin quorum. Small key/value rows in the meta table.
import type { Db } from './db.js';

export interface DeviceIdentityRecord {
  attestationKeyId: Uint8Array;
  attestationPublicKey: Uint8Array;
  deviceCertPem: string;
  caCertPem: string;
  enrolledMeasurement: Uint8Array;
}

export class DeviceMeta {
  private readonly getStmt;
  private readonly putStmt;
  private readonly fwApprovalsStmt;
  private readonly addFwApprovalStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare('SELECT v FROM meta WHERE k = ?');
    this.putStmt = db.prepare('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)');
    this.fwApprovalsStmt = db.prepare('SELECT admin_id, expires_at, signature FROM firmware_approvals WHERE measurement = ? ORDER BY admin_id');
    this.addFwApprovalStmt = db.prepare('INSERT OR REPLACE INTO firmware_approvals (measurement, admin_id, expires_at, signature) VALUES (?, ?, ?, ?)');
  }

  private get(k: string): Buffer | undefined {
    return (this.getStmt.get(k) as { v: Buffer } | undefined)?.v;
  }
  private put(k: string, v: Uint8Array | string): void {
    this.putStmt.run(k, typeof v === 'string' ? Buffer.from(v, 'utf8') : v);
  }

  identity(): DeviceIdentityRecord | undefined {
    const keyId = this.get('attestationKeyId');
    if (!keyId) return undefined;
    return {
      attestationKeyId: new Uint8Array(keyId),
      attestationPublicKey: new Uint8Array(this.get('attestationPublicKey') ?? []),
      deviceCertPem: (this.get('deviceCertPem') ?? Buffer.alloc(0)).toString('utf8'),
      caCertPem: (this.get('caCertPem') ?? Buffer.alloc(0)).toString('utf8'),
      enrolledMeasurement: new Uint8Array(this.get('enrolledMeasurement') ?? []),
    };
  }

  setIdentity(r: DeviceIdentityRecord): void {
    this.put('attestationKeyId', r.attestationKeyId);
    this.put('attestationPublicKey', r.attestationPublicKey);
    this.put('deviceCertPem', r.deviceCertPem);
    this.put('caCertPem', r.caCertPem);
    this.put('enrolledMeasurement', r.enrolledMeasurement);
  }

  /** Measurements an admin quorum approved after enrolment (firmware updates), hex. */
  approvedMeasurements(): string[] {
    const v = this.get('approvedMeasurements');
    return v ? (JSON.parse(v.toString('utf8')) as string[]) : [];
  }

  approveMeasurement(measurementHex: string): void {
    const list = this.approvedMeasurements();
    if (!list.includes(measurementHex)) list.push(measurementHex);
    this.put('approvedMeasurements', JSON.stringify(list));
  }

  firmwareApprovals(measurement: Uint8Array): { approverId: string; expiresAt: number; signature: Uint8Array }[] {
    return (this.fwApprovalsStmt.all(measurement) as { admin_id: string; expires_at: number; signature: Buffer }[]).map((r) => ({
      approverId: r.admin_id,
      expiresAt: r.expires_at,
      signature: new Uint8Array(r.signature),
    }));
  }

  addFirmwareApproval(measurement: Uint8Array, a: { approverId: string; expiresAt: number; signature: Uint8Array }): void {
    this.addFwApprovalStmt.run(measurement, a.approverId, a.expiresAt, a.signature);
  }
}
