// device.time: the device clock: earliest and latest possible time and how they are known.
// Not yet typed: arguments and result travel as a checked CBOR map, parsed by the handler.
import type { CborMap } from '../cbor.js';
import { defineCommand } from './command.js';

export const deviceTime = defineCommand<CborMap, CborMap>()({
  name: 'device.time',
  summary: 'The device clock: earliest and latest possible time and how they are known.',
  changesState: false,
  errors: [],
  parseArgs: (m) => m,
});
