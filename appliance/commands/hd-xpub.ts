// hd.xpub (protocol/commands/hd-xpub.ts): the account-level extended public key m/44'/60'/a' of a
// wallet, computed in this process from the seed the token decrypts for the call; audited, since it
// is a derivation from the seed and it lets the holder see every address of the account.
import { ApplianceError } from '../../protocol/errors.js';
import type { HdXpubArgs, HdXpubResult } from '../../protocol/commands/hd-xpub.js';
import type { Device } from '../device.js';
import { accountPath } from '../hd/hd-derivation.js';
import { assertFirmwareApproved } from '../device.js';

export async function hdXpub(dev: Device, args: HdXpubArgs): Promise<HdXpubResult> {
  const { requester, walletId, account } = args;
  // The seed comes into this process for the call: only firmware the admins approved may ask for it.
  assertFirmwareApproved(dev);
  const wallet = dev.hd.wallet(walletId);
  if (!wallet) throw new ApplianceError('not_found', `no HD wallet "${walletId}"`, { field: 'walletId' });
  const path = accountPath(account);
  dev.sealed.guard();
  const xpub = await dev.keystore.hdExtendedPublicKey(wallet.seedCkaId, path);
  const now = dev.clock();
  const entry = dev.seal.transaction(() => dev.audit.append(now, { kind: 'hd.xpub', ...(requester === undefined ? {} : { requester }), walletId, path, xpub }));
  return { walletId, account, path, xpub, auditSeq: entry.seq };
}
