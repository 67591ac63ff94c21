// policy.activate: activate the approved policy proposals whose time lock has passed.
// Not yet typed: arguments and result travel as a checked CBOR map, parsed by the handler.
import type { CborMap } from '../cbor.js';
import { defineCommand } from './command.js';

export const policyActivate = defineCommand<CborMap, CborMap>()({
  name: 'policy.activate',
  summary: 'Activate the approved policy proposals whose time lock has passed.',
  changesState: true,
  errors: [],
  parseArgs: (m) => m,
});
