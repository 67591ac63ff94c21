// whitelist.remove: an admin removes an address from the whitelist at once, in one group or in all
// (stricter is immediate: no quorum, no hold).
import { bytes, onlyKeys, optStr, str, ubig } from '../args.js';
import { defineCommand } from './command.js';
import { parseAdminStamp, type AdminStampParams, type AdminStampedArgs } from './request-stamp-arg.js';

export type WhitelistRemoveParams = {
  /** The admin removing (a principal of the active policy with the admin role). */
  requester: string;
  chainId: bigint | number;
  /** 20 bytes. */
  address: Uint8Array;
  /** Only from this group; every group when left out. */
  group?: string | null;
} & AdminStampParams;

export interface WhitelistRemoveArgs extends AdminStampedArgs {
  requester: string;
  chainId: bigint;
  address: Uint8Array;
  group: string | null;
}

export type WhitelistRemoveResult = {
  /** How many entries went (one per group holding the address). */
  removed: number;
  chainId: bigint;
  /** EIP-55 checksummed. */
  address: string;
};

export const whitelistRemove = defineCommand<WhitelistRemoveParams, WhitelistRemoveResult, WhitelistRemoveArgs>()({
  name: 'whitelist.remove',
  summary: 'Remove an address from the whitelist at once, in one group or all (stricter is immediate).',
  changesState: true,
  errors: ['not_found', 'denied'],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['requester', 'chainId', 'address', 'group', 'requestId', 'stamp']);
    return { requester: str(m, 'requester', 128), chainId: ubig(m, 'chainId', 64), address: bytes(m, 'address', 20), group: optStr(m, 'group', 64), ...parseAdminStamp(m) };
  },
});
