// whitelist.cancel: cancel a pending whitelist proposal by admin signatures.
// Not yet typed: arguments and result travel as a checked CBOR map, parsed by the handler.
import type { CborMap } from '../cbor.js';
import { defineCommand } from './command.js';

export const whitelistCancel = defineCommand<CborMap, CborMap>()({
  name: 'whitelist.cancel',
  summary: 'Cancel a pending whitelist proposal by admin signatures.',
  changesState: true,
  errors: ['not_found',  'conflict',  'denied'],
  parseArgs: (m) => m,
});
