// policy.get: the active policy document and its hash.
// Not yet typed: arguments and result travel as a checked CBOR map, parsed by the handler.
import type { CborMap } from '../cbor.js';
import { defineCommand } from './command.js';

export const policyGet = defineCommand<CborMap, CborMap>()({
  name: 'policy.get',
  summary: 'The active policy document and its hash.',
  changesState: false,
  errors: ['not_found'],
  parseArgs: (m) => m,
});
