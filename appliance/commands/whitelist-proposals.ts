// whitelist.proposals (protocol/commands/whitelist-proposals.ts): a page of the stored whitelist
// proposals with one status, oldest first, each with its tally at the device's time.
import type { WhitelistProposalsArgs, WhitelistProposalsResult } from '../../protocol/commands/whitelist-proposals.js';
import type { Device } from '../device.js';
import { whitelistProposalView } from '../whitelist-proposal-view.js';

export async function whitelistProposals(dev: Device, { status, limit, offset }: WhitelistProposalsArgs): Promise<WhitelistProposalsResult> {
  return { proposals: dev.whitelist.proposals(status, limit, offset).map((p) => whitelistProposalView(dev, p)) };
}
