// whitelist.remove: remove a whitelist entry at once (stricter is immediate).
// Not yet typed: arguments and result travel as a checked CBOR map, parsed by the handler.
import type { CborMap } from '../cbor.js';
import { defineCommand } from './command.js';

export const whitelistRemove = defineCommand<CborMap, CborMap>()({
  name: 'whitelist.remove',
  summary: 'Remove a whitelist entry at once (stricter is immediate).',
  changesState: true,
  errors: ['forbidden',  'not_found'],
  parseArgs: (m) => m,
});
