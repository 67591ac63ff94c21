// device.attest: a quote signed by the device over a challenge, the measurement, the policy and the log head.
// Not yet typed: arguments and result travel as a checked CBOR map, parsed by the handler.
import type { CborMap } from '../cbor.js';
import { defineCommand } from './command.js';

export const deviceAttest = defineCommand<CborMap, CborMap>()({
  name: 'device.attest',
  summary: 'A quote signed by the device over a challenge, the measurement, the policy and the log head.',
  changesState: true,
  errors: [],
  parseArgs: (m) => m,
});
