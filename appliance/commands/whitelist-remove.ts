// whitelist.remove (protocol/commands/whitelist-remove.ts): an admin removes an address from the
// whitelist at once, in one group or all (stricter is immediate, DESIGN.md invariant 5).
import type { WhitelistRemoveArgs, WhitelistRemoveResult } from '../../protocol/commands/whitelist-remove.js';
import { ApplianceError } from '../../protocol/errors.js';
import { toChecksumAddress } from '../../firmware-policy/evm/secp256k1-signature.js';
import type { Device } from '../device.js';
import { assertAdminRequest } from '../requester-role.js';

export async function whitelistRemove(dev: Device, args: WhitelistRemoveArgs): Promise<WhitelistRemoveResult> {
  const { requester, chainId, address, group } = args;
  const proof = assertAdminRequest(dev, 'whitelist.remove', 'whitelist.remove', requester, args);
  const now = dev.clock();
  const removed = dev.seal.transaction(() => {
    const n = dev.whitelist.remove(chainId, address, group);
    if (n > 0) dev.audit.append(now, { kind: 'whitelist.remove', requester, chainId, address, group, removed: n, ...proof });
    return n;
  });
  if (removed === 0) throw new ApplianceError('not_found', 'address is not on the whitelist');
  return { removed, chainId, address: toChecksumAddress(address) };
}
