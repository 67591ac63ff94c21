// policy.diff: what a policy proposal changes against the active policy.
// Not yet typed: arguments and result travel as a checked CBOR map, parsed by the handler.
import type { CborMap } from '../cbor.js';
import { defineCommand } from './command.js';

export const policyDiff = defineCommand<CborMap, CborMap>()({
  name: 'policy.diff',
  summary: 'What a policy proposal changes against the active policy.',
  changesState: false,
  errors: ['not_found'],
  parseArgs: (m) => m,
});
