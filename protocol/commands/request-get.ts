// request.get: the stored state and response of a signing request.
// Not yet typed: arguments and result travel as a checked CBOR map, parsed by the handler.
import type { CborMap } from '../cbor.js';
import { defineCommand } from './command.js';

export const requestGet = defineCommand<CborMap, CborMap>()({
  name: 'request.get',
  summary: 'The stored state and response of a signing request.',
  changesState: false,
  errors: ['not_found'],
  parseArgs: (m) => m,
});
