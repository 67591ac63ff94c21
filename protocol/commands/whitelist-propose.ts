// whitelist.propose: propose a whitelist address for a key group (needs the admin quorum, then the hold).
// Not yet typed: arguments and result travel as a checked CBOR map, parsed by the handler.
import type { CborMap } from '../cbor.js';
import { defineCommand } from './command.js';

export const whitelistPropose = defineCommand<CborMap, CborMap>()({
  name: 'whitelist.propose',
  summary: 'Propose a whitelist address for a key group (needs the admin quorum, then the hold).',
  changesState: true,
  errors: ['forbidden',  'conflict'],
  parseArgs: (m) => m,
});
