// firmware.approve (protocol/commands/firmware-approve.ts): one admin's approval of a firmware
// measurement, checked against the active policy's admins (firmware-policy/firmware-statement.ts)
// before it is stored; the measurement is approved once the admin quorum has signed. A rejected
// approval is audited and refused; an accepted one is audited with the tally.
import type { AdminApproval as SignedApproval } from '../../protocol/commands/admin-approval.js';
import type { FirmwareApproveArgs, FirmwareApproveResult } from '../../protocol/commands/firmware-approve.js';
import { tallyFirmwareApprovals } from '../../firmware-policy/firmware-statement.js';
import type { Device } from '../device.js';
import { refuseRejectedApproval } from '../admin-quorum.js';
import { firmwareStatus, requireIdentity } from '../device.js';

export async function firmwareApprove(dev: Device, { measurement, approval }: FirmwareApproveArgs): Promise<FirmwareApproveResult> {
  requireIdentity(dev);
  const now = dev.clock();
  const policy = dev.policies.current();
  const time = dev.time();
  const tallyOf = (approvals: SignedApproval[]) => tallyFirmwareApprovals(policy.doc, dev.config.deviceId, measurement, approvals, time);
  const rejected = tallyOf([approval]).rejected[0];
  if (rejected) refuseRejectedApproval(dev, 'firmware.approve', { approvedMeasurement: measurement }, approval, rejected);
  const others = dev.meta.firmwareApprovals(measurement).filter((a) => a.approverId !== approval.approverId);
  const tally = tallyOf([...others, approval]);
  const accepted = tally.counted.length >= tally.required;
  const hex = Buffer.from(measurement).toString('hex');
  dev.seal.transaction(() => {
    dev.meta.addFirmwareApproval(measurement, approval);
    if (accepted) dev.meta.approveMeasurement(hex);
    dev.audit.append(now, {
      kind: 'firmware.approve',
      approvedMeasurement: measurement,
      outcome: accepted ? 'accepted' : 'pending',
      approvals: [{ approverId: approval.approverId, expiresAt: approval.expiresAt, signature: approval.signature }],
      approvedBy: tally.counted,
      policyVersion: policy.doc.version,
      policyHash: policy.hash,
    });
  });
  return { measurement, status: accepted ? 'accepted' : 'pending', required: tally.required, approvedBy: tally.counted, firmwareApproved: firmwareStatus(dev).approved };
}
