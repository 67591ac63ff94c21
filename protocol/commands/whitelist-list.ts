// whitelist.list: a page of the whitelist entries (accepted addresses), each with when it counts and
// whether it is still in its hold, against the device's time `now`.
import { onlyKeys, optUint } from '../args.js';
import { defineCommand } from './command.js';

export interface WhitelistListArgs {
  limit: number;
  offset: number;
}

export type ListedWhitelistEntry = {
  group: string;
  chainId: bigint;
  /** EIP-55 checksummed. */
  address: string;
  label: string;
  activeAt: number;
  /** `activeAt` is still ahead of `now`: the entry does not count yet. */
  inHold: boolean;
  proposalId: string;
  addedAt: number;
};

export type WhitelistListResult = {
  now: number;
  entries: ListedWhitelistEntry[];
};

export const whitelistList = defineCommand<Partial<WhitelistListArgs>, WhitelistListResult, WhitelistListArgs>()({
  name: 'whitelist.list',
  summary: 'A page of the whitelist entries, each with when it counts and whether it is still in its hold.',
  changesState: false,
  errors: [],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['limit', 'offset']);
    return { limit: optUint(m, 'limit', 100, 1000), offset: optUint(m, 'offset', 0) };
  },
});
