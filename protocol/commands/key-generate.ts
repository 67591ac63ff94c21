// key.generate: generate a secp256k1 key inside the token, register it in a key group, audit it.
// Not yet typed: arguments and result travel as a checked CBOR map, parsed by the handler.
import type { CborMap } from '../cbor.js';
import { defineCommand } from './command.js';

export const keyGenerate = defineCommand<CborMap, CborMap>()({
  name: 'key.generate',
  summary: 'Generate a secp256k1 key inside the token, register it in a key group, audit it.',
  changesState: true,
  errors: ['forbidden',  'conflict'],
  parseArgs: (m) => m,
});
