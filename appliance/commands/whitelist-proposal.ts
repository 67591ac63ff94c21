// whitelist.proposal (protocol/commands/whitelist-proposal.ts): one stored whitelist proposal with its
// tally against the active policy at the device's time.
import type { WhitelistProposalArgs, WhitelistProposalResult } from '../../protocol/commands/whitelist-proposal.js';
import { ApplianceError } from '../../protocol/errors.js';
import type { Device } from '../device.js';
import { whitelistProposalView } from '../whitelist-proposal-view.js';

export async function whitelistProposal(dev: Device, { proposalId }: WhitelistProposalArgs): Promise<WhitelistProposalResult> {
  const p = dev.whitelist.proposal(proposalId);
  if (!p) throw new ApplianceError('not_found', 'no such whitelist proposal');
  return whitelistProposalView(dev, p);
}
