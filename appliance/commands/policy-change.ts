// policy.propose / policy.approve / policy.cancel / policy.activate / policy.proposal / policy.diff:
// the policy change lifecycle (DESIGN.md invariant 5). Every step is an audit entry.
import { randomBytes } from 'node:crypto';
import { decodeCanonical, type CborMap } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { bytes, onlyKeys, optUint, str, uint } from '../../protocol/args.js';
import { encodePolicy, parsePolicy, policyHash, type PolicyDocument } from '../../firmware-policy/policy-document.js';
import { diffPolicies, renderDiff } from '../../firmware-policy/policy-change.js';
import { activationDelay, tallyPolicyApprovals, verifyCancel } from '../../firmware-policy/policy-governance.js';
import { isStrictlyTighter } from '../../firmware-policy/policy-change.js';
import type { Approval } from '../../firmware-policy/approvals/statement.js';
import { assertRequesterRole } from '../requester-role.js';
import type { Device } from '../device.js';
import type { StoredPolicyProposal } from '../state/policy-proposals.js';
import { MAX_LISTED_CHANGES } from '../../protocol/limits.js';

const parseDoc = (p: StoredPolicyProposal): PolicyDocument => parsePolicy(decodeCanonical(p.doc));

/** The first MAX_LISTED_CHANGES changes, and how many there are in all (an answer must fit its frame). */
function changesToCbor(from: PolicyDocument, to: PolicyDocument): { changes: CborMap[]; changeCount: number } {
  const all = diffPolicies(from, to);
  const changes = all.slice(0, MAX_LISTED_CHANGES).map((c) => {
    const m: CborMap = { path: c.path, kind: c.kind, stricter: c.stricter };
    if (c.before !== undefined) m.before = c.before;
    if (c.after !== undefined) m.after = c.after;
    if (c.note !== undefined) m.note = c.note;
    return m;
  });
  return { changes, changeCount: all.length };
}

function proposalView(dev: Device, p: StoredPolicyProposal): CborMap {
  const active = dev.policies.current();
  const doc = parseDoc(p);
  const tally = tallyPolicyApprovals(active.doc, p, dev.proposals.approvals(p.id), dev.time());
  return {
    proposalId: p.id,
    version: p.version,
    hash: p.hash,
    proposedBy: p.proposedBy,
    status: p.status,
    stricter: p.stricter,
    createdAt: p.createdAt,
    quorumAt: p.quorumAt,
    activateAfter: p.activateAfter,
    required: tally.required,
    approvedBy: tally.counted,
    ...changesToCbor(active.doc, doc),
    // What each admin signs: this map with adminId and expiresAt filled in, canonically encoded.
    statement: { type: 'policy-change', deviceId: dev.config.deviceId, proposalId: p.id, version: p.version, hash: p.hash, adminId: null, expiresAt: null },
  };
}

function requireProposal(dev: Device, id: string): StoredPolicyProposal {
  const p = dev.proposals.get(id);
  if (!p) throw new ApplianceError('not_found', 'no such policy proposal');
  return p;
}

export async function policyPropose(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['requester', 'document']);
  const requester = str(args, 'requester', 128);
  assertRequesterRole(dev, 'policy.propose', requester, 'admin');
  const doc = parsePolicy(decodeCanonical(bytes(args, 'document', undefined, 1 << 20)));
  const active = dev.policies.current();
  if (doc.deviceId !== dev.config.deviceId) throw new ApplianceError('bad_request', 'the proposed policy names another device', { field: 'deviceId' });
  if (doc.version !== active.doc.version + 1) throw new ApplianceError('conflict', `the next version is ${active.doc.version + 1}`, { field: 'version' });
  if (!doc.parentHash || Buffer.compare(Buffer.from(doc.parentHash), Buffer.from(active.hash)) !== 0) {
    throw new ApplianceError('conflict', 'the proposal must name the active policy hash as its parent', { field: 'parentHash' });
  }
  const now = dev.clock();
  const p = {
    id: `pp-${randomBytes(8).toString('hex')}`,
    version: doc.version,
    hash: policyHash(doc),
    doc: encodePolicy(doc),
    proposedBy: requester,
    createdAt: now,
    status: 'pending' as const,
    stricter: isStrictlyTighter(active.doc, doc),
  };
  dev.seal.transaction(() => {
    dev.proposals.insert(p);
    dev.audit.append(now, { kind: 'policy.propose', proposalId: p.id, requester, policyVersion: active.doc.version, policyHash: active.hash, proposedVersion: p.version, proposedHash: p.hash, proposedDocument: p.doc, stricter: p.stricter });
  });
  return proposalView(dev, requireProposal(dev, p.id));
}

export async function policyApprove(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['proposalId', 'adminId', 'expiresAt', 'signature']);
  const id = str(args, 'proposalId', 64);
  const approval: Approval = { approverId: str(args, 'adminId', 128), expiresAt: uint(args, 'expiresAt'), signature: bytes(args, 'signature', undefined, 512) };
  return dev.requestLocks.run(id, async () => {
    const p = requireProposal(dev, id);
    if (p.status !== 'pending') return proposalView(dev, p);
    const active = dev.policies.current();
    const time = dev.time();
    const now = time.earliest;
    const rejected = tallyPolicyApprovals(active.doc, p, [approval], time).rejected[0];
    if (rejected) {
      const auditSeq = dev.refusals.record({ kind: 'policy.approve', proposalId: id, outcome: 'rejected', approvals: [{ approverId: approval.approverId, expiresAt: approval.expiresAt, signature: approval.signature }], rejectedApprovals: [{ approverId: rejected.approverId, why: rejected.why }] });
      throw new ApplianceError('denied', `approval rejected: ${rejected.why}`, { approverId: rejected.approverId, why: rejected.why, auditSeq });
    }
    const others = dev.proposals.approvals(id).filter((a) => a.approverId !== approval.approverId);
    const tally = tallyPolicyApprovals(active.doc, p, [...others, approval], time);
    const quorum = tally.counted.length >= tally.required;
    const delay = quorum ? activationDelay(active.doc, parseDoc(p)) : null;
    dev.seal.transaction(() => {
      dev.proposals.addApproval(id, approval);
      if (quorum && delay !== null) dev.proposals.setStatus(id, 'scheduled', now, now + delay);
      dev.audit.append(now, {
        kind: 'policy.approve',
        proposalId: id,
        outcome: quorum ? 'quorum' : 'pending',
        approvals: [{ approverId: approval.approverId, expiresAt: approval.expiresAt, signature: approval.signature }],
        approvedBy: tally.counted,
        activateAfter: quorum && delay !== null ? now + delay : null,
        policyVersion: active.doc.version,
        policyHash: active.hash,
      });
    });
    // A tightening, or a change whose time lock is zero, activates in the same command.
    if (quorum && delay === 0) activateDue(dev, now);
    return proposalView(dev, requireProposal(dev, id));
  });
}

export async function policyCancel(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['proposalId', 'adminId', 'expiresAt', 'signature']);
  const id = str(args, 'proposalId', 64);
  const approval: Approval = { approverId: str(args, 'adminId', 128), expiresAt: uint(args, 'expiresAt'), signature: bytes(args, 'signature', undefined, 512) };
  return dev.requestLocks.run(id, async () => {
    const p = requireProposal(dev, id);
    if (p.status !== 'pending' && p.status !== 'scheduled') throw new ApplianceError('conflict', `proposal is ${p.status}`, { status: p.status });
    const active = dev.policies.current();
    const time = dev.time();
    const now = time.earliest;
    const rejected = verifyCancel(active.doc, id, approval, time).rejected[0];
    if (rejected) throw new ApplianceError('denied', `cancel rejected: ${rejected.why}`, { approverId: rejected.approverId, why: rejected.why });
    dev.seal.transaction(() => {
      dev.proposals.setStatus(id, 'cancelled', p.quorumAt, null);
      dev.audit.append(now, { kind: 'policy.cancel', proposalId: id, approvals: [{ approverId: approval.approverId, expiresAt: approval.expiresAt, signature: approval.signature }], policyVersion: active.doc.version, policyHash: active.hash });
    });
    return proposalView(dev, requireProposal(dev, id));
  });
}

/** Activates every scheduled proposal whose time lock has passed (in order); returns how many. `requester`: the admin who asked (recorded), if one did. */
export function activateDue(dev: Device, now = dev.clock(), requester?: string): number {
  let n = 0;
  for (const p of dev.proposals.due(now)) {
    const active = dev.policies.current();
    dev.seal.transaction(() => {
      if (p.version !== active.doc.version + 1) {
        // Another change went first: this one no longer names the active parent.
        dev.proposals.setStatus(p.id, 'superseded', p.quorumAt, p.activateAfter);
        dev.audit.append(now, { kind: 'policy.supersede', proposalId: p.id, policyVersion: active.doc.version, policyHash: active.hash });
        return;
      }
      const doc = parseDoc(p);
      const next = dev.policies.activate(doc, now);
      dev.proposals.setStatus(p.id, 'active', p.quorumAt, p.activateAfter);
      dev.audit.append(now, { kind: 'policy.activate', proposalId: p.id, ...(requester === undefined ? {} : { requester }), previousVersion: active.doc.version, previousHash: active.hash, policyVersion: doc.version, policyHash: next.hash, document: next.encoded });
      n++;
    });
  }
  return n;
}

export async function policyActivate(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['requester', 'proposalId']);
  // The bridge names the admin asking (refused and audited unless the policy makes it an admin); the
  // local operator on the socket names none.
  const requester = args.requester === undefined ? undefined : str(args, 'requester', 128);
  if (requester !== undefined) assertRequesterRole(dev, 'policy.activate', requester, 'admin');
  const p = requireProposal(dev, str(args, 'proposalId', 64));
  if (p.status === 'scheduled' && (p.activateAfter ?? Infinity) > dev.clock()) {
    throw new ApplianceError('conflict', `the time lock runs until ${p.activateAfter}`, { activateAfter: p.activateAfter });
  }
  activateDue(dev, dev.clock(), requester);
  return proposalView(dev, requireProposal(dev, p.id));
}

export async function policyProposal(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['proposalId']);
  return proposalView(dev, requireProposal(dev, str(args, 'proposalId', 64)));
}

export async function policyDiff(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['version', 'against']);
  const v = uint(args, 'version');
  const target = dev.policies.version(v);
  if (!target) throw new ApplianceError('not_found', `no activated policy version ${v}`);
  const againstV = optUint(args, 'against', v - 1);
  const base = dev.policies.version(againstV);
  if (!base) throw new ApplianceError('not_found', `no activated policy version ${againstV}`);
  return { version: v, against: againstV, stricter: isStrictlyTighter(base.doc, target.doc), ...changesToCbor(base.doc, target.doc), markdown: renderDiff(base.doc, target.doc, MAX_LISTED_CHANGES) };
}
