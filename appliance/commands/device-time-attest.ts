// device.time.attest (protocol/commands/device-time-attest.ts): an admin-quorum time statement moves
// the device's time forward (README "Device time"). It is believed only with the active policy's
// admin quorum, only with the current nonce (a used or older statement is refused: it cannot be
// replayed), and only up to the host clock plus the tolerance (a forward move needs the admins and
// the host to agree). Every attempt that reaches the quorum check is audited, refused or not.
import type { AuditFields } from '../../protocol/audit-kinds.js';
import type { CborMap } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import type { DeviceTimeAttestArgs, DeviceTimeAttestResult } from '../../protocol/commands/device-time-attest.js';
import { tallyTimeStatement, type TimeStatement } from '../../firmware-policy/time-statement.js';
import type { Approval } from '../../firmware-policy/approvals/statement.js';
import type { Device } from '../device.js';
import { countedApprovals } from '../admin-quorum.js';

type Refusal = 'stale_nonce' | 'time_ahead_of_host' | 'quorum_not_met';

export async function deviceTimeAttest(dev: Device, { time, nonce, approvals }: DeviceTimeAttestArgs): Promise<DeviceTimeAttestResult> {
  const statement: TimeStatement = { time, nonce };
  const clock = dev.deviceClock;
  const bounds = dev.time();
  const host = clock.host();
  const policy = dev.policies.current();
  const base = {
    kind: 'device.time.attest' as const,
    attestedTime: statement.time,
    nonce: statement.nonce,
    deviceTime: bounds.earliest,
    hostTime: host,
    policyVersion: policy.doc.version,
    policyHash: policy.hash,
  };

  const refuse = (code: Refusal, message: string, details: CborMap, extra: CborMap = {}): never => {
    // Through the refusal counter, so a flood of replayed statements folds into counted entries.
    const auditSeq = dev.refusals.record({ ...base, outcome: 'rejected', code, ...extra });
    throw new ApplianceError('denied', message, { rule: 'device-time', code, auditSeq, ...details });
  };

  if (!clock.isCurrentNonce(statement.nonce)) {
    refuse('stale_nonce', 'the time statement does not carry the current device nonce (a used or older statement cannot be replayed; ask device.time for the nonce)', {});
  }
  const tolerance = dev.sealed.toleranceSeconds;
  if (statement.time > host + tolerance) {
    refuse(
      'time_ahead_of_host',
      `the attested time is ${statement.time - host} s ahead of the host clock (tolerance ${tolerance} s): the device moves forward only when the admins and the host agree`,
      { hostTime: host, toleranceSeconds: tolerance },
    );
  }
  const tally = tallyTimeStatement(policy.doc, statement, approvals, bounds);
  if (tally.counted.length < tally.required) {
    const rejected = tally.rejected.map((r) => ({ approverId: r.approverId, why: r.why }));
    refuse(
      'quorum_not_met',
      `the time statement needs ${tally.required} admin signatures; ${tally.counted.length} counted`,
      { counted: tally.counted, rejected },
      { approvedBy: tally.counted, rejectedApprovals: rejected },
    );
  }
  return commitAdvance(dev, statement, approvals, tally.counted, base);
}

/** Advances the clock and seals the new time with its audit entry; an advance whose commit fails is undone. */
function commitAdvance(dev: Device, statement: TimeStatement, approvals: Approval[], counted: string[], base: AuditFields): DeviceTimeAttestResult {
  const clock = dev.deviceClock;
  const before = clock.snapshot();
  try {
    const { entry, advanced, now } = dev.seal.transaction(() => {
      const advanced = clock.advanceTo(statement.time);
      const now = clock.now();
      // The checkpoint this transaction writes carries the new time: a restart resumes from it.
      const entry = dev.audit.append(now, { ...base, outcome: 'accepted', advancedSeconds: advanced, approvals: countedApprovals(approvals, counted), approvedBy: counted });
      return { entry, advanced, now };
    });
    clock.renewNonce();
    return { status: 'accepted', time: now, advancedSeconds: advanced, approvedBy: counted, auditSeq: entry.seq };
  } catch (err) {
    clock.restore(before);
    throw err;
  }
}
