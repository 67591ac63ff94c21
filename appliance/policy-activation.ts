// Activating the scheduled policy proposals whose time lock has passed, in order: each becomes the
// active policy, or is superseded when another change went first (it no longer names the active
// parent). Run by policy.activate, by policy.approve when the lock is zero, and by the device's timer.
import type { Device } from './device.js';
import { proposedDocument } from './policy-proposal-lookup.js';

/** Activates every due proposal; returns how many. `requester`: the admin who asked (recorded), if one did. */
export function activateDue(dev: Device, now = dev.clock(), requester?: string): number {
  let n = 0;
  for (const p of dev.proposals.due(now)) {
    const active = dev.policies.current();
    dev.seal.transaction(() => {
      if (p.version !== active.doc.version + 1) {
        dev.proposals.setStatus(p.id, 'superseded', p.quorumAt, p.activateAfter);
        dev.audit.append(now, { kind: 'policy.supersede', proposalId: p.id, policyVersion: active.doc.version, policyHash: active.hash });
        return;
      }
      const doc = proposedDocument(p);
      const next = dev.policies.activate(doc, now);
      dev.proposals.setStatus(p.id, 'active', p.quorumAt, p.activateAfter);
      dev.audit.append(now, {
        kind: 'policy.activate',
        proposalId: p.id,
        ...(requester === undefined ? {} : { requester }),
        previousVersion: active.doc.version,
        previousHash: active.hash,
        policyVersion: doc.version,
        policyHash: next.hash,
        document: next.encoded,
      });
      n++;
    });
  }
  return n;
}
