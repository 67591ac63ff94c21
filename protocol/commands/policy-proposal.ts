// policy.proposal: one policy proposal with its tally and statement.
// Not yet typed: arguments and result travel as a checked CBOR map, parsed by the handler.
import type { CborMap } from '../cbor.js';
import { defineCommand } from './command.js';

export const policyProposal = defineCommand<CborMap, CborMap>()({
  name: 'policy.proposal',
  summary: 'One policy proposal with its tally and statement.',
  changesState: false,
  errors: ['not_found'],
  parseArgs: (m) => m,
});
