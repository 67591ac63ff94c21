// whitelist.propose: an admin proposes adding an address to a key group's whitelist on one chain. It
// counts only after the admin quorum approves it (whitelist.approve) and then the group's hold ends.
import { bytes, onlyKeys, optStr, str, ubig } from '../args.js';
import { defineCommand } from './command.js';
import { parseAdminStamp, type AdminStampParams, type AdminStampedArgs } from './request-stamp-arg.js';
import type { WhitelistProposalView } from './whitelist-proposal-view.js';

export type WhitelistProposeParams = {
  /** The admin proposing (a principal of the active policy with the admin role). */
  requester: string;
  group: string;
  chainId: bigint | number;
  /** 20 bytes. */
  address: Uint8Array;
  label?: string | null;
} & AdminStampParams;

export interface WhitelistProposeArgs extends AdminStampedArgs {
  requester: string;
  group: string;
  chainId: bigint;
  address: Uint8Array;
  /** '' when none was given. */
  label: string;
}

export type WhitelistProposeResult = WhitelistProposalView;

export const whitelistPropose = defineCommand<WhitelistProposeParams, WhitelistProposeResult, WhitelistProposeArgs>()({
  name: 'whitelist.propose',
  summary: 'Propose a whitelist address for a key group on one chain (needs the admin quorum, then the hold).',
  changesState: true,
  errors: ['denied'],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['requester', 'group', 'chainId', 'address', 'label', 'requestId', 'stamp']);
    return {
      requester: str(m, 'requester', 128),
      group: str(m, 'group', 64),
      chainId: ubig(m, 'chainId', 64),
      address: bytes(m, 'address', 20),
      label: optStr(m, 'label', 128) ?? '',
      ...parseAdminStamp(m),
    };
  },
});
