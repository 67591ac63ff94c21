// policy.init: install the first policy of a device (ceremony only).
// Not yet typed: arguments and result travel as a checked CBOR map, parsed by the handler.
import type { CborMap } from '../cbor.js';
import { defineCommand } from './command.js';

export const policyInit = defineCommand<CborMap, CborMap>()({
  name: 'policy.init',
  summary: 'Install the first policy of a device (ceremony only).',
  changesState: true,
  errors: ['conflict'],
  parseArgs: (m) => m,
});
