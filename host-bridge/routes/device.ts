// The device: identity, attestation quotes and the device's time (auditors and admins), admin
// approvals of a firmware measurement, and admin-quorum time statements (the appliance judges them).
import { ApplianceError } from '../../protocol/errors.js';
import { jsonHex, jsonObject, jsonString, jsonUint } from '../json-cbor.js';
import type { BridgeApp, RouteContext } from './context.js';

const MAX_TIME_APPROVALS = 64;

export function deviceRoutes(app: BridgeApp, r: RouteContext): void {
  app.get('/v1/device', r.requireScope('auditor'), async (c) => r.forward(c, 'device.info', {}));
  app.get('/v1/device/attestation', r.requireScope('auditor'), async (c) => r.forward(c, 'device.attest', { challenge: jsonHex(c.req.query('challenge'), 'challenge') }));
  app.post('/v1/firmware/approvals', r.requireScope('admin'), async (c) => {
    const b = await r.body(c);
    return r.forward(c, 'firmware.approve', {
      measurement: jsonHex(b.measurement, 'measurement', 32),
      adminId: jsonString(b.adminId, 'adminId', 128),
      expiresAt: Number(jsonUint(b.expiresAt, 'expiresAt')),
      signature: jsonHex(b.signature, 'signature'),
    });
  });
  // The device's two readings of now and the nonce an admin time statement carries; the statement
  // itself (admin quorum) moves the device's time forward.
  app.get('/v1/device/time', r.requireScope('admin'), async (c) => r.forward(c, 'device.time', {}));
  app.post('/v1/device/time/attestations', r.requireScope('admin'), async (c) => {
    const b = await r.body(c);
    if (!Array.isArray(b.approvals) || b.approvals.length === 0 || b.approvals.length > MAX_TIME_APPROVALS) {
      throw new ApplianceError('bad_request', `"approvals" expected an array of 1 to ${MAX_TIME_APPROVALS} signed admin approvals`, { field: 'approvals' });
    }
    const approvals = b.approvals.map((a: unknown, i: number) => {
      const m = jsonObject(a, `approvals[${i}]`);
      return { adminId: jsonString(m.adminId, 'adminId', 128), expiresAt: Number(jsonUint(m.expiresAt, 'expiresAt')), signature: jsonHex(m.signature, 'signature') };
    });
    return r.forward(c, 'device.time.attest', { time: Number(jsonUint(b.time, 'time')), nonce: jsonHex(b.nonce, 'nonce', 16), approvals });
  });
}
