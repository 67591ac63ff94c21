// policy.approve: add an admin signature to a policy proposal.
// Not yet typed: arguments and result travel as a checked CBOR map, parsed by the handler.
import type { CborMap } from '../cbor.js';
import { defineCommand } from './command.js';

export const policyApprove = defineCommand<CborMap, CborMap>()({
  name: 'policy.approve',
  summary: 'Add an admin signature to a policy proposal.',
  changesState: true,
  errors: ['not_found',  'conflict',  'denied'],
  parseArgs: (m) => m,
});
