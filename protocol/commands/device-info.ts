// device.info: device identity, certificates, measurement and sealed-state status.
// Not yet typed: arguments and result travel as a checked CBOR map, parsed by the handler.
import type { CborMap } from '../cbor.js';
import { defineCommand } from './command.js';

export const deviceInfo = defineCommand<CborMap, CborMap>()({
  name: 'device.info',
  summary: 'Device identity, certificates, measurement and sealed-state status.',
  changesState: false,
  errors: [],
  parseArgs: (m) => m,
});
