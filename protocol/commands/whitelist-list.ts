// whitelist.list: the whitelist entries and proposals of the device.
// Not yet typed: arguments and result travel as a checked CBOR map, parsed by the handler.
import type { CborMap } from '../cbor.js';
import { defineCommand } from './command.js';

export const whitelistList = defineCommand<CborMap, CborMap>()({
  name: 'whitelist.list',
  summary: 'The whitelist entries and proposals of the device.',
  changesState: false,
  errors: [],
  parseArgs: (m) => m,
});
