// request.get: the stored state and response of a request, by its id. A caller naming a `viewer`
// (the bridge names its token's principal, with the `role` the token's scope stands for) reads a
// request only when the active policy gives the viewer that role and, as a requester, only its own:
// an approver, admin or auditor reads any (approvers read what they approve). Anything else answers
// not_found, as for an id never used, so a requester learns nothing of another's requests. Without a
// viewer (the local operator on the socket) every request is read.
import { decodeCanonical, type CborMap } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { asMap, onlyKeys, str } from '../../protocol/args.js';
import { rolesOf, type PrincipalRole } from '../../firmware-policy/principals.js';
import type { Device } from '../device.js';

const ROLES: readonly PrincipalRole[] = ['requester', 'approver', 'admin', 'auditor'];

export async function requestGet(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['requestId', 'viewer', 'role']);
  const requestId = str(args, 'requestId', 128);
  let viewer: { id: string; role: PrincipalRole } | undefined;
  if (args.viewer !== undefined || args.role !== undefined) {
    const role = str(args, 'role', 16);
    if (!(ROLES as readonly string[]).includes(role)) throw new ApplianceError('bad_request', `"role" expected one of ${ROLES.join(', ')}`, { field: 'role' });
    viewer = { id: str(args, 'viewer', 128), role: role as PrincipalRole };
  }
  const rec = dev.requests.get(requestId);
  if (!rec || (viewer && !mayRead(dev, viewer, rec.requester))) throw new ApplianceError('not_found', 'no such request');
  const response = rec.response ? asMap(decodeCanonical(rec.response), 'response') : { status: 'signing', requestId: rec.requestId };
  return {
    ...response,
    requester: rec.requester,
    createdAt: rec.createdAt,
    updatedAt: rec.updatedAt,
    approvals: dev.requests.approvals(rec.requestId).map((a) => ({ approverId: a.approverId, expiresAt: a.expiresAt })),
  };
}

function mayRead(dev: Device, viewer: { id: string; role: PrincipalRole }, requester: string): boolean {
  if (!rolesOf(dev.policies.current().doc, viewer.id).includes(viewer.role)) return false;
  return viewer.role !== 'requester' || viewer.id === requester;
}
