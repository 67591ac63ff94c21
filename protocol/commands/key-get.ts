// key.get: one registered key with its certificate and the token's protection attributes of its
// private half (sensitive, never extractable, wrap with trusted only…), read from the token itself.
import { onlyKeys, str } from '../args.js';
import { defineCommand } from './command.js';
import type { ListedKey } from './key-info.js';

export interface KeyGetArgs {
  keyId: string;
}

export type KeyProtection = {
  token: boolean;
  private: boolean;
  sensitive: boolean;
  extractable: boolean;
  alwaysSensitive: boolean;
  neverExtractable: boolean;
  wrapWithTrusted: boolean;
  modifiable: boolean;
};

export type KeyGetResult = ListedKey & {
  protection: KeyProtection;
};

export const keyGet = defineCommand<KeyGetArgs, KeyGetResult>()({
  name: 'key.get',
  summary: 'One registered key with its certificate and token protection attributes.',
  changesState: false,
  errors: ['not_found'],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['keyId']);
    return { keyId: str(m, 'keyId', 128) };
  },
});
