// request.get (protocol/commands/request-get.ts): the stored state and response of a request, by its id. A caller naming a `viewer`
// (the bridge names its token's principal, with the `role` the token's scope stands for) reads a
// request only when the active policy gives the viewer that role and, as a requester, only its own:
// an approver, admin or auditor reads any (approvers read what they approve). Anything else answers
// not_found, as for an id never used, so a requester learns nothing of another's requests. Without a
// viewer (the local operator on the socket) every request is read.
import { ApplianceError } from '../../protocol/errors.js';
import type { RequestGetArgs, RequestGetResult, SigningInProgress, ViewerRole } from '../../protocol/commands/request-get.js';
import { rolesOf } from '../../firmware-policy/principals.js';
import type { Device } from '../device.js';
import type { RequestRecord } from '../state/request-store.js';
import { storedResponse } from '../signing-flow.js';

export async function requestGet(dev: Device, { requestId, viewer }: RequestGetArgs): Promise<RequestGetResult> {
  const rec = dev.requests.get(requestId);
  if (!rec || (viewer && !mayRead(dev, viewer, rec.requester))) throw new ApplianceError('not_found', 'no such request');
  return requestView(dev, rec);
}

/** A stored request as request.get answers it (request.list answers each of its requests so too). */
export function requestView(dev: Device, rec: RequestRecord): RequestGetResult {
  const signing: SigningInProgress = { status: 'signing', requestId: rec.requestId };
  const response = rec.response ? storedResponse(rec.response) : signing;
  return {
    ...response,
    requester: rec.requester,
    createdAt: rec.createdAt,
    updatedAt: rec.updatedAt,
    approvals: dev.requests.approvals(rec.requestId).map((a) => ({ approverId: a.approverId, expiresAt: a.expiresAt })),
  };
}

export function mayRead(dev: Device, viewer: { id: string; role: ViewerRole }, requester: string): boolean {
  if (!rolesOf(dev.policies.current().doc, viewer.id).includes(viewer.role)) return false;
  return viewer.role !== 'requester' || viewer.id === requester;
}
