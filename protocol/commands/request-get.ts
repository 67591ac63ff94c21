// request.get: the stored state and answer of a signing request, by its id, with the approvals it
// holds. A caller naming a `viewer` (the bridge: its token's principal, with the `role` the token's
// scope stands for) reads only what that role may read; others answer not_found as for an unknown id.
import { ApplianceError } from '../errors.js';
import { onlyKeys, str } from '../args.js';
import { defineCommand } from './command.js';
import type { RequestAnswer } from './signing-answer.js';

export const VIEWER_ROLES = ['requester', 'approver', 'admin', 'auditor'] as const;
export type ViewerRole = (typeof VIEWER_ROLES)[number];

export interface RequestGetParams {
  requestId: string;
  /** Sent together: who reads, and in which role. */
  viewer?: string;
  role?: ViewerRole;
}

export interface RequestGetArgs {
  requestId: string;
  /** Absent for the local operator on the socket, who reads every request. */
  viewer: { id: string; role: ViewerRole } | undefined;
}

/** A request whose signature is being made (its answer is not stored yet). */
export type SigningInProgress = {
  status: 'signing';
  requestId: string;
};

export type RequestGetResult = (RequestAnswer | SigningInProgress) & {
  /** A transaction request's travel-rule hash, when it named one (sign.evm-tx `travelRuleHash`). */
  travelRuleHash?: Uint8Array;
  requester: string;
  createdAt: number;
  updatedAt: number;
  approvals: { approverId: string; expiresAt: number }[];
};

export const requestGet = defineCommand<RequestGetParams, RequestGetResult, RequestGetArgs>()({
  name: 'request.get',
  summary: 'The stored state and answer of a signing request, with the approvals it holds.',
  changesState: false,
  errors: ['not_found'],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['requestId', 'viewer', 'role']);
    const requestId = str(m, 'requestId', 128);
    if (m.viewer === undefined && m.role === undefined) return { requestId, viewer: undefined };
    const role = str(m, 'role', 16);
    if (!(VIEWER_ROLES as readonly string[]).includes(role)) throw new ApplianceError('bad_request', `"role" expected one of ${VIEWER_ROLES.join(', ')}`, { field: 'role' });
    return { requestId, viewer: { id: str(m, 'viewer', 128), role: role as ViewerRole } };
  },
});
