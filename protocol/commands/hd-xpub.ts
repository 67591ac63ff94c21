// hd.xpub: the extended public key of an HD wallet's account, m/44'/60'/account' (hardened account,
// non-hardened children), so a ledger derives the deposit addresses m/44'/60'/a'/0/i without asking
// the appliance. Deriving it decrypts the seed for the call, so each export is audited.
import { onlyKeys, str, uint } from '../args.js';
import { defineCommand } from './command.js';
import { HD_MAX_INDEX } from './hd-derive.js';

export interface HdXpubArgs {
  /** Who asked, as the bridge names its principal (recorded in the audit entry; not an authority). */
  requester?: string;
  walletId: string;
  account: number;
}

export type HdXpubResult = {
  walletId: string;
  account: number;
  /** m/44'/60'/a' */
  path: string;
  /** BIP-32 serialisation (xpub…, mainnet version bytes). */
  xpub: string;
  auditSeq: number;
};

export const hdXpub = defineCommand<HdXpubArgs, HdXpubResult>()({
  name: 'hd.xpub',
  summary: "The extended public key of an HD wallet's account m/44'/60'/a', audited.",
  changesState: true,
  // denied: the firmware is not approved, or the sealed state is broken.
  errors: ['denied', 'not_found'],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['requester', 'walletId', 'account']);
    const requester = m.requester === undefined ? undefined : str(m, 'requester', 128);
    return { ...(requester === undefined ? {} : { requester }), walletId: str(m, 'walletId', 64), account: uint(m, 'account', HD_MAX_INDEX) };
  },
});
