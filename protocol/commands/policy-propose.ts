// policy.propose: propose a new policy version (admin quorum and time lock before it activates).
// Not yet typed: arguments and result travel as a checked CBOR map, parsed by the handler.
import type { CborMap } from '../cbor.js';
import { defineCommand } from './command.js';

export const policyPropose = defineCommand<CborMap, CborMap>()({
  name: 'policy.propose',
  summary: 'Propose a new policy version (admin quorum and time lock before it activates).',
  changesState: true,
  errors: ['forbidden',  'conflict'],
  parseArgs: (m) => m,
});
