// device.time.attest: an admin-quorum statement of the time, which moves the device clock forward.
// Not yet typed: arguments and result travel as a checked CBOR map, parsed by the handler.
import type { CborMap } from '../cbor.js';
import { defineCommand } from './command.js';

export const deviceTimeAttest = defineCommand<CborMap, CborMap>()({
  name: 'device.time.attest',
  summary: 'An admin-quorum statement of the time, which moves the device clock forward.',
  changesState: true,
  errors: ['denied'],
  parseArgs: (m) => m,
});
