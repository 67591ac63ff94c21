// key.generate: generate a secp256k1 key inside the token, register it in a key group of the active
// policy, audit it. The bridge names the admin asking (`requester`); the local operator on the socket
// and the ceremony name none.
import { ApplianceError } from '../errors.js';
import { onlyKeys, str } from '../args.js';
import { defineCommand } from './command.js';
import { parseAdminStamp, type AdminStampParams, type AdminStampedArgs } from './request-stamp-arg.js';
import type { KeyInfo } from './key-info.js';

const LABEL_RE = /^[A-Za-z0-9._-]{1,64}$/;

export type KeyGenerateParams = Omit<KeyGenerateArgs, 'argsDigest' | 'stamp'> & AdminStampParams;

export interface KeyGenerateArgs extends AdminStampedArgs {
  /** The admin asking; refused and audited unless the active policy makes it an admin. */
  requester?: string;
  /** 1 to 64 of A-Z a-z 0-9 . _ - */
  label: string;
  /** A key group of the active policy. */
  group: string;
}

export type KeyGenerateResult = KeyInfo & {
  auditSeq: number;
};

export const keyGenerate = defineCommand<KeyGenerateParams, KeyGenerateResult, KeyGenerateArgs>()({
  name: 'key.generate',
  summary: 'Generate a secp256k1 key inside the token, register it in a key group, audit it.',
  changesState: true,
  // denied: the requester is not an admin, the firmware is not approved, or the sealed state is broken.
  errors: ['denied'],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['requester', 'label', 'group', 'requestId', 'stamp']);
    const requester = m.requester === undefined ? undefined : str(m, 'requester', 128);
    const label = str(m, 'label', 64);
    const group = str(m, 'group', 64);
    if (!LABEL_RE.test(label)) throw new ApplianceError('bad_request', `"label" must match ${LABEL_RE}`, { field: 'label' });
    return { ...(requester === undefined ? {} : { requester }), label, group, ...parseAdminStamp(m) };
  },
});
