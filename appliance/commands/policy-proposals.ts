// policy.proposals (protocol/commands/policy-proposals.ts): the open policy proposals with their tally
// at the device's time, without the list of changes (an answer must fit its frame).
import type { PolicyProposalsArgs, PolicyProposalsResult } from '../../protocol/commands/policy-proposals.js';
import type { Device } from '../device.js';
import { policyProposalView } from '../policy-proposal-view.js';

export async function policyProposals(dev: Device, { limit }: PolicyProposalsArgs): Promise<PolicyProposalsResult> {
  return {
    proposals: dev.proposals
      .open()
      .slice(0, limit)
      .map((p) => {
        const { changes: _listed, ...rest } = policyProposalView(dev, p);
        return rest;
      }),
  };
}
