// A stored signing request as request.get and request.list answer it, and who may read it: a viewer
// the active policy gives the named role, and as a requester only its own requests.
import type { RequestGetResult, SigningInProgress, ViewerRole } from '../protocol/commands/request-get.js';
import { rolesOf } from '../firmware-policy/principals.js';
import type { Device } from './device.js';
import type { RequestRecord } from './state/request-store.js';
import { storedResponse } from './signing-flow.js';
import { decodeCanonical } from '../protocol/cbor.js';
import { isMap } from '../protocol/args.js';

/** A stored request as request.get answers it (request.list answers each of its requests so too). */
export function requestView(dev: Device, rec: RequestRecord): RequestGetResult {
  const signing: SigningInProgress = { status: 'signing', requestId: rec.requestId };
  const response = rec.response ? storedResponse(rec.response) : signing;
  return {
    ...response,
    ...travelRuleOf(rec),
    requester: rec.requester,
    createdAt: rec.createdAt,
    updatedAt: rec.updatedAt,
    approvals: dev.requests.approvals(rec.requestId).map((a) => ({ approverId: a.approverId, expiresAt: a.expiresAt })),
  };
}

/** The travel-rule hash a transaction request named, from its stored arguments (an approver sees what it approves). */
function travelRuleOf(rec: RequestRecord): { travelRuleHash?: Uint8Array } {
  if (rec.kind !== 'sign.evm-tx') return {};
  const args = decodeCanonical(rec.args);
  return isMap(args) && args.travelRuleHash instanceof Uint8Array ? { travelRuleHash: args.travelRuleHash } : {};
}

export function mayRead(dev: Device, viewer: { id: string; role: ViewerRole }, requester: string): boolean {
  if (!rolesOf(dev.policies.current().doc, viewer.id).includes(viewer.role)) return false;
  return viewer.role !== 'requester' || viewer.id === requester;
}
