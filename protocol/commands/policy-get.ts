// policy.get: the active policy: its version, canonical hash, when it was activated, and the document.
import type { CborMap } from '../cbor.js';
import { onlyKeys } from '../args.js';
import { defineCommand } from './command.js';

export type PolicyGetArgs = Record<string, never>;

export type PolicyGetResult = {
  version: number;
  hash: Uint8Array;
  activatedAt: number;
  /** The policy document as CBOR (firmware-policy/policy-document.ts). */
  document: CborMap;
};

export const policyGet = defineCommand<PolicyGetArgs, PolicyGetResult>()({
  name: 'policy.get',
  summary: 'The active policy: version, hash, activation time and document.',
  changesState: false,
  errors: [],
  parseArgs: (m) => {
    onlyKeys(m, 'args', []);
    return {};
  },
});
