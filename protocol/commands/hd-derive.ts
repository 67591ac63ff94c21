// hd.derive: derive the key at m/44'/60'/account'/0/index of an HD wallet (BIP-32 in the appliance
// process), import it into the token as a non-extractable signing key, register it in a key group of
// the active policy (the same whitelist, limits and approvals as any key of that group), audit it.
import { ApplianceError } from '../errors.js';
import { onlyKeys, str, uint } from '../args.js';
import { defineCommand } from './command.js';
import { parseAdminStamp, type AdminStampParams, type AdminStampedArgs } from './request-stamp-arg.js';
import type { KeyInfo } from './key-info.js';

const LABEL_RE = /^[A-Za-z0-9._-]{1,64}$/;
/** BIP-32 non-hardened indexes (the account is hardened by the path itself). */
export const HD_MAX_INDEX = 0x7fff_ffff;

export type HdDeriveParams = Omit<HdDeriveArgs, 'argsDigest' | 'stamp'> & AdminStampParams;

export interface HdDeriveArgs extends AdminStampedArgs {
  requester?: string;
  walletId: string;
  /** a in m/44'/60'/a'/0/i */
  account: number;
  /** i in m/44'/60'/a'/0/i */
  index: number;
  /** A key group of the active policy. */
  group: string;
  label: string;
}

export type HdDeriveResult = KeyInfo & {
  walletId: string;
  /** m/44'/60'/a'/0/i */
  path: string;
  auditSeq: number;
};

export const hdDerive = defineCommand<HdDeriveParams, HdDeriveResult, HdDeriveArgs>()({
  name: 'hd.derive',
  summary: "Derive the key at m/44'/60'/a'/0/i of an HD wallet into the token and register it in a key group; audit it.",
  changesState: true,
  // not_found: no such wallet; conflict: that path is already derived.
  errors: ['denied', 'not_found', 'conflict'],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['requester', 'walletId', 'account', 'index', 'group', 'label', 'requestId', 'stamp']);
    const requester = m.requester === undefined ? undefined : str(m, 'requester', 128);
    const label = str(m, 'label', 64);
    if (!LABEL_RE.test(label)) throw new ApplianceError('bad_request', `"label" must match ${LABEL_RE}`, { field: 'label' });
    return {
      ...(requester === undefined ? {} : { requester }),
      walletId: str(m, 'walletId', 64),
      account: uint(m, 'account', HD_MAX_INDEX),
      index: uint(m, 'index', HD_MAX_INDEX),
      group: str(m, 'group', 64),
      label,
      ...parseAdminStamp(m),
    };
  },
});
