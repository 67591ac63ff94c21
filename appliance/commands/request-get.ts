// request.get (protocol/commands/request-get.ts): the stored state and response of a request, by its id. A caller naming a `viewer`
// (the bridge names its token's principal, with the `role` the token's scope stands for) reads a
// request only when the active policy gives the viewer that role and, as a requester, only its own:
// an approver, admin or auditor reads any (approvers read what they approve). Anything else answers
// not_found, as for an id never used, so a requester learns nothing of another's requests. Without a
// viewer (the local operator on the socket) every request is read.
import { ApplianceError } from '../../protocol/errors.js';
import type { RequestGetArgs, RequestGetResult } from '../../protocol/commands/request-get.js';
import type { Device } from '../device.js';
import { mayRead, requestView } from '../request-view.js';

export async function requestGet(dev: Device, { requestId, viewer }: RequestGetArgs): Promise<RequestGetResult> {
  const rec = dev.requests.get(requestId);
  if (!rec || (viewer && !mayRead(dev, viewer, rec.requester))) throw new ApplianceError('not_found', 'no such request');
  return requestView(dev, rec);
}
