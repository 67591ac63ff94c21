// device.time.attest: an admin-quorum statement of the time, carrying the device's current nonce,
// which moves the device clock forward (never past the host clock plus the tolerance).
import { bytes, onlyKeys, uint } from '../args.js';
import { parseAdminApprovals as adminApprovals, type AdminApprovalParams as AdminApprovalParam, type AdminApproval as SignedApproval } from './admin-approval.js';
import { defineCommand } from './command.js';

/** The length of the nonce device.time hands out. */
export const TIME_NONCE_BYTES = 16;

export interface DeviceTimeAttestParams {
  /** The attested time, unix seconds. */
  time: number;
  nonce: Uint8Array;
  approvals: AdminApprovalParam[];
}

export interface DeviceTimeAttestArgs {
  time: number;
  nonce: Uint8Array;
  approvals: SignedApproval[];
}

export type DeviceTimeAttestResult = {
  status: 'accepted';
  /** The device's time after the move. */
  time: number;
  advancedSeconds: number;
  approvedBy: string[];
  auditSeq: number;
};

export const deviceTimeAttest = defineCommand<DeviceTimeAttestParams, DeviceTimeAttestResult, DeviceTimeAttestArgs>()({
  name: 'device.time.attest',
  summary: 'An admin-quorum statement of the time, which moves the device clock forward.',
  changesState: true,
  // denied: a stale nonce, a time ahead of the host, the quorum not met, or the sealed state broken.
  errors: ['denied'],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['time', 'nonce', 'approvals']);
    return { time: uint(m, 'time'), nonce: bytes(m, 'nonce', TIME_NONCE_BYTES), approvals: adminApprovals(m.approvals) };
  },
});
