// The bodies of the device routes an admin quorum signs: a firmware measurement's approval and a
// device time statement, each a table of its members (body-fields.ts) that the route reads and the
// API description shows. The appliance checks the signatures; the bridge only converts.
import { ApplianceError } from '../protocol/errors.js';
import type { FirmwareApproveParams } from '../protocol/commands/firmware-approve.js';
import type { DeviceTimeAttestParams } from '../protocol/commands/device-time-attest.js';
import { bodySchema, hexSchema, readBody, required, uintSchema, type BodyTable } from './body-fields.js';
import { ADMIN_APPROVAL_BODY, adminApprovalBody, type AdminApprovalBody } from './approval-body.js';
import { jsonHex, jsonObject, jsonUint } from './json-cbor.js';

/** POST /v1/firmware/approvals: the measurement, then an admin's signed approval of it. */
export const FIRMWARE_APPROVAL_BODY = {
  measurement: required({ ...hexSchema(32, 32), description: 'the firmware measurement (SHA-256), 0x + 64 hex' }, (v, f) => jsonHex(v, f, 32)),
  ...ADMIN_APPROVAL_BODY,
} satisfies BodyTable;

export function firmwareApproveParams(body: Record<string, unknown>): FirmwareApproveParams {
  return readBody(FIRMWARE_APPROVAL_BODY, body);
}

export const MAX_TIME_APPROVALS = 64;

function timeApprovals(v: unknown): AdminApprovalBody[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_TIME_APPROVALS) {
    throw new ApplianceError('bad_request', `"approvals" expected an array of 1 to ${MAX_TIME_APPROVALS} signed admin approvals`, { field: 'approvals' });
  }
  // Each approval's members are named as in a single approval (adminId, not approvals[0].adminId), as ever.
  return v.map((a: unknown, i: number) => adminApprovalBody(jsonObject(a, `approvals[${i}]`)));
}

/** POST /v1/device/time/attestations: the approvals are read first, then the time and the nonce. */
export const DEVICE_TIME_BODY = {
  approvals: required({ type: 'array', minItems: 1, maxItems: MAX_TIME_APPROVALS, items: bodySchema(ADMIN_APPROVAL_BODY) }, timeApprovals),
  time: required({ ...uintSchema, description: `unix seconds. ${String(uintSchema.description)}` }, (v, f) => Number(jsonUint(v, f))),
  nonce: required({ ...hexSchema(16, 16), description: 'the 16-byte nonce from GET /v1/device/time' }, (v, f) => jsonHex(v, f, 16)),
} satisfies BodyTable;

export function deviceTimeAttestParams(body: Record<string, unknown>): DeviceTimeAttestParams {
  return readBody(DEVICE_TIME_BODY, body);
}
