// whitelist.approve: add an admin signature to a whitelist proposal.
// Not yet typed: arguments and result travel as a checked CBOR map, parsed by the handler.
import type { CborMap } from '../cbor.js';
import { defineCommand } from './command.js';

export const whitelistApprove = defineCommand<CborMap, CborMap>()({
  name: 'whitelist.approve',
  summary: 'Add an admin signature to a whitelist proposal.',
  changesState: true,
  errors: ['not_found',  'conflict',  'denied'],
  parseArgs: (m) => m,
});
