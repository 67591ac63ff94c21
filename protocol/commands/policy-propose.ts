// policy.propose: an admin proposes the next policy version. It must name this device, be the active
// version plus one and name the active policy's hash as its parent; it activates after the admin
// quorum (policy.approve) and the time lock (none for a change that only tightens).
import { bytes, onlyKeys, str } from '../args.js';
import { defineCommand } from './command.js';
import { parseAdminStamp, type AdminStampParams, type AdminStampedArgs } from './request-stamp-arg.js';
import type { PolicyProposalView } from './policy-proposal-view.js';

export type PolicyProposeParams = {
  /** The admin proposing (a principal of the active policy with the admin role). */
  requester: string;
  /** Canonical CBOR of the proposed policy document (parsed by the device's policy parser). */
  document: Uint8Array;
} & AdminStampParams;

export type PolicyProposeArgs = Omit<PolicyProposeParams, 'stamp' | 'requestId'> & AdminStampedArgs;

export type PolicyProposeResult = PolicyProposalView;

export const policyPropose = defineCommand<PolicyProposeParams, PolicyProposeResult, PolicyProposeArgs>()({
  name: 'policy.propose',
  summary: 'Propose the next policy version (admin quorum and time lock before it activates).',
  changesState: true,
  errors: ['conflict', 'denied'],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['requester', 'document', 'requestId', 'stamp']);
    return { requester: str(m, 'requester', 128), document: bytes(m, 'document', undefined, 1 << 20), ...parseAdminStamp(m) };
  },
});
