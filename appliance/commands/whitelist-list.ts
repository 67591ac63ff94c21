// whitelist.list (protocol/commands/whitelist-list.ts): a page of the whitelist entries, each with
// whether it is still in its hold at the device's time.
import type { WhitelistListArgs, WhitelistListResult } from '../../protocol/commands/whitelist-list.js';
import { toChecksumAddress } from '../../firmware-policy/evm/secp256k1-signature.js';
import type { Device } from '../device.js';

export async function whitelistList(dev: Device, { limit, offset }: WhitelistListArgs): Promise<WhitelistListResult> {
  const now = dev.clock();
  const entries = dev.whitelist.list(limit, offset);
  return {
    now,
    entries: entries.map((e) => ({
      group: e.group,
      chainId: e.chainId,
      address: toChecksumAddress(e.address),
      label: e.label,
      activeAt: e.activeAt,
      inHold: e.activeAt > now,
      proposalId: e.proposalId,
      addedAt: e.addedAt,
    })),
  };
}
