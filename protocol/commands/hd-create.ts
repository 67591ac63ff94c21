// hd.create: create an HD wallet's BIP-39 seed from the token's random generator and keep it in the
// token (docs/hd-wallets.md); register the wallet, audit it. The mnemonic is never answered. The bridge
// names the admin asking (`requester`); the local operator on the socket and the ceremony name none.
import { ApplianceError } from '../errors.js';
import { onlyKeys, str } from '../args.js';
import { defineCommand } from './command.js';
import { parseAdminStamp, type AdminStampParams, type AdminStampedArgs } from './request-stamp-arg.js';

const LABEL_RE = /^[A-Za-z0-9._-]{1,64}$/;

export type HdCreateParams = Omit<HdCreateArgs, 'argsDigest' | 'stamp'> & AdminStampParams;

export interface HdCreateArgs extends AdminStampedArgs {
  /** The admin asking; refused and audited unless the active policy makes it an admin. */
  requester?: string;
  /** 1 to 64 of A-Z a-z 0-9 . _ - */
  label: string;
}

export type HdWalletInfo = {
  walletId: string;
  label: string;
  createdAt: number;
  /** Hash of the policy active when the seed was created. */
  policyHash: Uint8Array;
};

export type HdCreateResult = HdWalletInfo & { auditSeq: number };

export const hdCreate = defineCommand<HdCreateParams, HdCreateResult, HdCreateArgs>()({
  name: 'hd.create',
  summary: "Create an HD wallet: a BIP-39 seed from the token's random generator, kept in the token; audit it.",
  changesState: true,
  // denied: the requester is not an admin, the firmware is not approved, or the sealed state is broken.
  errors: ['denied'],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['requester', 'label', 'requestId', 'stamp']);
    const requester = m.requester === undefined ? undefined : str(m, 'requester', 128);
    const label = str(m, 'label', 64);
    if (!LABEL_RE.test(label)) throw new ApplianceError('bad_request', `"label" must match ${LABEL_RE}`, { field: 'label' });
    return { ...(requester === undefined ? {} : { requester }), label, ...parseAdminStamp(m) };
  },
});
