// The device: identity, attestation quotes and the device's time (auditors and admins), admin
// approvals of a firmware measurement, and admin-quorum time statements (the appliance judges them).
import { jsonHex } from '../json-cbor.js';
import { deviceTimeAttestParams, firmwareApproveParams } from '../device-params.js';
import type { BridgeApp, RouteContext } from './context.js';

export function deviceRoutes(app: BridgeApp, r: RouteContext): void {
  app.get('/v1/device', r.requireScope('auditor'), async (c) => r.forward(c, 'device.info', {}));
  app.get('/v1/device/attestation', r.requireScope('auditor'), async (c) => r.forward(c, 'device.attest', { challenge: jsonHex(c.req.query('challenge'), 'challenge') }));
  app.post('/v1/firmware/approvals', r.requireScope('admin'), async (c) => r.forward(c, 'firmware.approve', firmwareApproveParams(await r.body(c))));
  // The device's two readings of now and the nonce an admin time statement carries; the statement
  // itself (admin quorum) moves the device's time forward.
  app.get('/v1/device/time', r.requireScope('admin'), async (c) => r.forward(c, 'device.time', {}));
  app.post('/v1/device/time/attestations', r.requireScope('admin'), async (c) => r.forward(c, 'device.time.attest', deviceTimeAttestParams(await r.body(c))));
}
