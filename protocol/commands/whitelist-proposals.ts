// whitelist.proposals: a page of the whitelist proposals with one status (pending by default: what
// still waits for admin signatures), oldest first, each as whitelist.proposal answers it.
import { ApplianceError } from '../errors.js';
import { onlyKeys, optUint } from '../args.js';
import { defineCommand } from './command.js';
import type { WhitelistProposalStatus, WhitelistProposalView } from './whitelist-proposal-view.js';

export const WHITELIST_PROPOSALS_MAX = 100;
const STATUSES: readonly WhitelistProposalStatus[] = ['pending', 'accepted', 'cancelled'];

export interface WhitelistProposalsParams {
  status?: WhitelistProposalStatus;
  limit?: number;
  offset?: number;
}

export interface WhitelistProposalsArgs {
  status: WhitelistProposalStatus;
  limit: number;
  offset: number;
}

export type WhitelistProposalsResult = {
  proposals: WhitelistProposalView[];
};

export const whitelistProposals = defineCommand<WhitelistProposalsParams, WhitelistProposalsResult, WhitelistProposalsArgs>()({
  name: 'whitelist.proposals',
  summary: 'A page of the whitelist proposals with one status (pending by default), oldest first.',
  changesState: false,
  errors: [],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['status', 'limit', 'offset']);
    const status = m.status ?? 'pending';
    if (typeof status !== 'string' || !(STATUSES as readonly string[]).includes(status))
      throw new ApplianceError('bad_request', `"status" expected one of ${STATUSES.join(', ')}`, { field: 'status' });
    const limit = optUint(m, 'limit', 20, WHITELIST_PROPOSALS_MAX);
    if (limit < 1) throw new ApplianceError('bad_request', '"limit" expected at least 1', { field: 'limit' });
    return { status: status as WhitelistProposalStatus, limit, offset: optUint(m, 'offset', 0) };
  },
});
