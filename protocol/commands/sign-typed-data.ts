// sign.typed-data: judge EIP-712 typed data by the policy; sign it, hold it for approvals, or deny it.
// Not yet typed: arguments and result travel as a checked CBOR map, parsed by the handler.
import type { CborMap } from '../cbor.js';
import { defineCommand } from './command.js';

export const signTypedData = defineCommand<CborMap, CborMap>()({
  name: 'sign.typed-data',
  summary: 'Judge EIP-712 typed data by the policy; sign it, hold it for approvals, or deny it.',
  changesState: true,
  errors: ['forbidden',  'not_found',  'conflict',  'denied'],
  parseArgs: (m) => m,
});
