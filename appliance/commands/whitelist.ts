// whitelist.propose / approve / list / remove. Adding an address needs the admin quorum, then waits
// the group's hold; removing takes effect at once (stricter is immediate, DESIGN.md invariant 5).
import { randomBytes } from 'node:crypto';
import type { CborMap } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { bytes, onlyKeys, optStr, optUint, str, ubig, uint } from '../../protocol/args.js';
import { tallyAdminApprovals, tallyWhitelistCancel, whitelistActiveAt, type WhitelistProposal } from '../../firmware-policy/whitelist-governance.js';
import { toChecksumAddress } from '../../firmware-policy/evm/secp256k1-signature.js';
import type { Approval } from '../../firmware-policy/approvals/statement.js';
import { groupOf } from '../../firmware-policy/policy-document.js';
import type { Device } from '../device.js';
import type { StoredProposal } from '../state/whitelist-store.js';
import { assertRequesterRole } from '../requester-role.js';

function proposalToCbor(dev: Device, p: StoredProposal): CborMap {
  const policy = dev.policies.current().doc;
  const tally = tallyAdminApprovals(policy, p, dev.whitelist.approvals(p.id), dev.time());
  return {
    proposalId: p.id,
    group: p.group,
    chainId: p.chainId,
    address: toChecksumAddress(p.address),
    label: p.label,
    proposedBy: p.proposedBy,
    status: p.status,
    createdAt: p.createdAt,
    quorumAt: p.quorumAt,
    activeAt: p.quorumAt === null ? null : whitelistActiveAt(policy, p.group, p.quorumAt),
    required: tally.required,
    approvedBy: tally.counted,
    // What each admin signs: this map with adminId and expiresAt filled in, canonically encoded.
    statement: { type: 'whitelist-add', deviceId: policy.deviceId, proposalId: p.id, group: p.group, chainId: p.chainId, address: p.address, label: p.label, adminId: null, expiresAt: null },
  };
}

export async function whitelistPropose(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['requester', 'group', 'chainId', 'address', 'label']);
  const proposal: WhitelistProposal = {
    id: `wp-${randomBytes(8).toString('hex')}`,
    proposedBy: str(args, 'requester', 128),
    group: str(args, 'group', 64),
    chainId: ubig(args, 'chainId', 64),
    address: bytes(args, 'address', 20),
    label: optStr(args, 'label', 128) ?? '',
  };
  assertRequesterRole(dev, 'whitelist.propose', proposal.proposedBy, 'admin');
  const policy = dev.policies.current();
  const group = groupOf(policy.doc, proposal.group);
  if (!group) throw new ApplianceError('bad_request', `key group "${proposal.group}" is not in the active policy`, { field: 'group' });
  if (!group.chains.includes(proposal.chainId)) throw new ApplianceError('bad_request', `chain ${proposal.chainId} is not allowed for group "${proposal.group}"`, { field: 'chainId' });
  const now = dev.clock();
  dev.seal.transaction(() => {
    dev.whitelist.insertProposal(proposal, now);
    dev.audit.append(now, {
      kind: 'whitelist.propose',
      proposalId: proposal.id,
      requester: proposal.proposedBy,
      group: proposal.group,
      chainId: proposal.chainId,
      address: proposal.address,
      label: proposal.label,
      policyVersion: policy.doc.version,
      policyHash: policy.hash,
    });
  });
  const stored = dev.whitelist.proposal(proposal.id);
  if (!stored) throw new ApplianceError('internal', 'proposal not stored');
  return proposalToCbor(dev, stored);
}

export async function whitelistApprove(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['proposalId', 'adminId', 'expiresAt', 'signature']);
  const proposalId = str(args, 'proposalId', 64);
  const approval: Approval = { approverId: str(args, 'adminId', 128), expiresAt: uint(args, 'expiresAt'), signature: bytes(args, 'signature', undefined, 512) };
  return dev.requestLocks.run(proposalId, async () => {
    const p = dev.whitelist.proposal(proposalId);
    if (!p) throw new ApplianceError('not_found', 'no such whitelist proposal');
    if (p.status !== 'pending') return proposalToCbor(dev, p);
    const time = dev.time();
    const now = time.earliest;
    const policy = dev.policies.current();
    const existing = dev.whitelist.approvals(proposalId).filter((a) => a.approverId !== approval.approverId);
    const single = tallyAdminApprovals(policy.doc, p, [approval], time);
    const rejected = single.rejected[0];
    if (rejected) {
      const auditSeq = dev.refusals.record({ kind: 'whitelist.approve', proposalId, outcome: 'rejected', approvals: [{ approverId: approval.approverId, expiresAt: approval.expiresAt, signature: approval.signature }], rejectedApprovals: [{ approverId: rejected.approverId, why: rejected.why }] });
      throw new ApplianceError('denied', `approval rejected: ${rejected.why}`, { approverId: rejected.approverId, why: rejected.why, auditSeq });
    }
    const tally = tallyAdminApprovals(policy.doc, p, [...existing, approval], time);
    const accepted = tally.counted.length >= tally.required;
    dev.seal.transaction(() => {
      dev.whitelist.addApproval(proposalId, approval);
      let activeAt: number | null = null;
      if (accepted) {
        activeAt = whitelistActiveAt(policy.doc, p.group, now);
        dev.whitelist.setProposalStatus(proposalId, 'accepted', now);
        dev.whitelist.put({ group: p.group, chainId: p.chainId, address: p.address, label: p.label, activeAt, proposalId, addedAt: now });
      }
      dev.audit.append(now, {
        kind: 'whitelist.approve',
        proposalId,
        // What is being added, so the entry (and an event derived from it) names it on its own.
        group: p.group,
        chainId: p.chainId,
        address: p.address,
        label: p.label,
        outcome: accepted ? 'accepted' : 'pending',
        approvals: [{ approverId: approval.approverId, expiresAt: approval.expiresAt, signature: approval.signature }],
        approvedBy: tally.counted,
        activeAt,
        policyVersion: policy.doc.version,
        policyHash: policy.hash,
      });
    });
    const after = dev.whitelist.proposal(proposalId);
    if (!after) throw new ApplianceError('internal', 'proposal vanished');
    return proposalToCbor(dev, after);
  });
}

export async function whitelistList(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['limit', 'offset']);
  const now = dev.clock();
  const entries = dev.whitelist.list(optUint(args, 'limit', 100, 1000), optUint(args, 'offset', 0));
  return {
    now,
    entries: entries.map((e) => ({
      group: e.group,
      chainId: e.chainId,
      address: toChecksumAddress(e.address),
      label: e.label,
      activeAt: e.activeAt,
      inHold: e.activeAt > now,
      proposalId: e.proposalId,
      addedAt: e.addedAt,
    })),
  };
}

export async function whitelistRemove(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['requester', 'chainId', 'address', 'group']);
  const requester = str(args, 'requester', 128);
  const chainId = ubig(args, 'chainId', 64);
  const address = bytes(args, 'address', 20);
  const group = optStr(args, 'group', 64);
  assertRequesterRole(dev, 'whitelist.remove', requester, 'admin');
  const now = dev.clock();
  const removed = dev.seal.transaction(() => {
    const n = dev.whitelist.remove(chainId, address, group);
    if (n > 0) dev.audit.append(now, { kind: 'whitelist.remove', requester, chainId, address, group, removed: n });
    return n;
  });
  if (removed === 0) throw new ApplianceError('not_found', 'address is not on the whitelist');
  return { removed, chainId, address: toChecksumAddress(address) };
}

/**
 * whitelist.cancel: the admin quorum cancels an accepted entry that is still in its hold (removing
 * an address needs no quorum, but cancelling is how admins answer a suspicious addition during the
 * hold: it is recorded as a cancellation of that proposal). Approvals are collected one per call and
 * kept with the proposal's (under "cancel:<id>").
 */
export async function whitelistCancel(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['proposalId', 'adminId', 'expiresAt', 'signature']);
  const proposalId = str(args, 'proposalId', 64);
  const approval: Approval = { approverId: str(args, 'adminId', 128), expiresAt: uint(args, 'expiresAt'), signature: bytes(args, 'signature', undefined, 512) };
  return dev.requestLocks.run(`cancel:${proposalId}`, async () => {
    const p = dev.whitelist.proposal(proposalId);
    if (!p) throw new ApplianceError('not_found', 'no such whitelist proposal');
    const time = dev.time();
    const now = time.earliest;
    const policy = dev.policies.current();
    const activeAt = p.quorumAt === null ? null : whitelistActiveAt(policy.doc, p.group, p.quorumAt);
    if (p.status !== 'accepted' || activeAt === null || activeAt <= now) {
      throw new ApplianceError('conflict', 'only an accepted entry still in its hold can be cancelled (remove it instead)', { status: p.status });
    }
    const rejected = tallyWhitelistCancel(policy.doc, proposalId, [approval], time).rejected[0];
    if (rejected) throw new ApplianceError('denied', `approval rejected: ${rejected.why}`, { approverId: rejected.approverId, why: rejected.why });
    const cancelKey = `cancel:${proposalId}`;
    const pendingCancels = dev.whitelist.approvals(cancelKey).filter((a) => a.approverId !== approval.approverId);
    const tally = tallyWhitelistCancel(policy.doc, proposalId, [...pendingCancels, approval], time);
    const done = tally.counted.length >= tally.required;
    dev.seal.transaction(() => {
      dev.whitelist.addApproval(cancelKey, approval);
      if (done) {
        dev.whitelist.remove(p.chainId, p.address, p.group);
        dev.whitelist.setProposalStatus(proposalId, 'cancelled', p.quorumAt);
      }
      dev.audit.append(now, {
        kind: 'whitelist.cancel',
        proposalId,
        group: p.group,
        chainId: p.chainId,
        address: p.address,
        label: p.label,
        outcome: done ? 'cancelled' : 'pending',
        approvals: [{ approverId: approval.approverId, expiresAt: approval.expiresAt, signature: approval.signature }],
        approvedBy: tally.counted,
        policyVersion: policy.doc.version,
        policyHash: policy.hash,
      });
    });
    return { proposalId, status: done ? 'cancelled' : 'pending', required: tally.required, approvedBy: tally.counted };
  });
}
