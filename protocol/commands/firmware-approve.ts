// firmware.approve: one admin's approval of a firmware measurement (a firmware update is treated like
// a policy change); the measurement is approved once the active policy's admin quorum has signed.
import { bytes, onlyKeys } from '../args.js';
import { signedApproval, type AdminApproval as SignedApproval } from './admin-approval.js';
import { defineCommand } from './command.js';

export interface FirmwareApproveParams {
  /** SHA-256 measurement of the firmware to approve. */
  measurement: Uint8Array;
  adminId: string;
  expiresAt: number;
  /** Over the firmware-update statement (firmware-policy/firmware-statement.ts), at most 512 bytes. */
  signature: Uint8Array;
}

export interface FirmwareApproveArgs {
  measurement: Uint8Array;
  approval: SignedApproval;
}

export type FirmwareApproveResult = {
  measurement: Uint8Array;
  status: 'accepted' | 'pending';
  required: number;
  approvedBy: string[];
  /** Whether the running firmware is approved now. */
  firmwareApproved: boolean;
};

export const firmwareApprove = defineCommand<FirmwareApproveParams, FirmwareApproveResult, FirmwareApproveArgs>()({
  name: 'firmware.approve',
  summary: 'Approve a new firmware measurement by the admin quorum.',
  changesState: true,
  // denied: the approval is rejected, or the sealed state is broken.
  errors: ['denied'],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['measurement', 'adminId', 'expiresAt', 'signature']);
    return { measurement: bytes(m, 'measurement', 32), approval: signedApproval(m, 'adminId') };
  },
});
