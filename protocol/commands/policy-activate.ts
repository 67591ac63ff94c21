// policy.activate: activates every scheduled policy proposal whose time lock has passed (the device
// also does so on its own), and answers the named proposal as it then stands. Refused while the named
// proposal's time lock still runs. The bridge names the admin asking; the local operator names none.
import { onlyKeys, str } from '../args.js';
import { defineCommand } from './command.js';
import { parseAdminStamp, type AdminStampParams, type AdminStampedArgs } from './request-stamp-arg.js';
import type { PolicyProposalView } from './policy-proposal-view.js';

export type PolicyActivateParams = {
  /** The admin asking (refused unless the active policy makes it an admin); left out on the local socket. */
  requester?: string;
  proposalId: string;
} & AdminStampParams;

export type PolicyActivateArgs = Omit<PolicyActivateParams, 'stamp' | 'requestId'> & AdminStampedArgs;

export type PolicyActivateResult = PolicyProposalView;

export const policyActivate = defineCommand<PolicyActivateParams, PolicyActivateResult, PolicyActivateArgs>()({
  name: 'policy.activate',
  summary: 'Activate the scheduled policy proposals whose time lock has passed; answers the named one.',
  changesState: true,
  errors: ['not_found', 'conflict', 'denied'],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['requester', 'proposalId', 'requestId', 'stamp']);
    const requester = m.requester === undefined ? undefined : str(m, 'requester', 128);
    return { requester, proposalId: str(m, 'proposalId', 64), ...parseAdminStamp(m) };
  },
});
