// firmware.approve: approve a new firmware measurement by the admin quorum.
// Not yet typed: arguments and result travel as a checked CBOR map, parsed by the handler.
import type { CborMap } from '../cbor.js';
import { defineCommand } from './command.js';

export const firmwareApprove = defineCommand<CborMap, CborMap>()({
  name: 'firmware.approve',
  summary: 'Approve a new firmware measurement by the admin quorum.',
  changesState: true,
  errors: ['denied'],
  parseArgs: (m) => m,
});
