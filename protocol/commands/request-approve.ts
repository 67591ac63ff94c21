// request.approve: add an approver signature to a pending request; sign when the quorum is met.
// Not yet typed: arguments and result travel as a checked CBOR map, parsed by the handler.
import type { CborMap } from '../cbor.js';
import { defineCommand } from './command.js';

export const requestApprove = defineCommand<CborMap, CborMap>()({
  name: 'request.approve',
  summary: 'Add an approver signature to a pending request; sign when the quorum is met.',
  changesState: true,
  errors: ['not_found',  'conflict',  'denied'],
  parseArgs: (m) => m,
});
