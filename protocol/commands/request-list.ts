// request.list: the pending signing requests, newest first, a page at a time, each as request.get
// answers it plus what the appliance decoded when it held the request (its own audit entry: the
// intent with fees, the key group, the rules that ask for approval, the recipient's whitelist
// labels). An approver's console shows this, never what the orchestrator claims. A caller naming a
// `viewer` lists only what request.get would let it read (a requester only its own).
import { ApplianceError } from '../errors.js';
import type { CborMap } from '../cbor.js';
import { onlyKeys, optUint, str } from '../args.js';
import { defineCommand } from './command.js';
import { VIEWER_ROLES, type RequestGetResult, type ViewerRole } from './request-get.js';
import type { PolicyReason } from './signing-answer.js';

export const REQUEST_LIST_MAX = 100;

export interface RequestListParams {
  /** Only "pending" is listed (the default). */
  status?: 'pending';
  limit?: number;
  /** The requestId of the last request of the previous page. */
  after?: string;
  viewer?: string;
  role?: ViewerRole;
}

export interface RequestListArgs {
  limit: number;
  after: string | null;
  viewer: { id: string; role: ViewerRole } | undefined;
}

/** What the appliance decoded and decided when it held the request, read back from its audit entry. */
export type DecodedRequest = {
  auditSeq: number;
  keyGroup: string | null;
  policyVersion: number | null;
  /** The decoded transaction intent (chainId, asset, to, amount, nonce, fees...), or null for typed data. */
  intent: CborMap | null;
  /** Typed data's summary as the audit entry names it (primaryType, domain, classification, transfer), or null for a transaction. */
  typed: CborMap | null;
  /** The rules that ask for approval. */
  reasons: PolicyReason[];
  /** The recipient's whitelist labels on its chain (empty when it is on no list). */
  recipientLabels: { group: string; label: string }[];
  /** Decimals of the intent's asset, for showing the amount in token units: the policy's `decimals` for the asset, 18 for a native coin, else null. */
  decimals: number | null;
};

export type RequestListItem = RequestGetResult & { decoded: DecodedRequest | null };

export type RequestListResult = {
  requests: RequestListItem[];
  /** Pass as `after` for the next page; null on the last page. */
  next: string | null;
};

export const requestList = defineCommand<RequestListParams, RequestListResult, RequestListArgs>()({
  name: 'request.list',
  summary: 'The pending signing requests, newest first, with what the appliance decoded.',
  changesState: false,
  errors: [],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['status', 'limit', 'after', 'viewer', 'role']);
    if (m.status !== undefined && m.status !== 'pending') throw new ApplianceError('bad_request', '"status" expected "pending"', { field: 'status' });
    const limit = optUint(m, 'limit', 20, REQUEST_LIST_MAX);
    if (limit < 1) throw new ApplianceError('bad_request', '"limit" expected at least 1', { field: 'limit' });
    const after = m.after === undefined ? null : str(m, 'after', 128);
    if (m.viewer === undefined && m.role === undefined) return { limit, after, viewer: undefined };
    const role = str(m, 'role', 16);
    if (!(VIEWER_ROLES as readonly string[]).includes(role)) throw new ApplianceError('bad_request', `"role" expected one of ${VIEWER_ROLES.join(', ')}`, { field: 'role' });
    return { limit, after, viewer: { id: str(m, 'viewer', 128), role: role as ViewerRole } };
  },
});
