// sign.evm-tx: judge an EVM transaction by the policy; sign it, hold it for approvals, or deny it.
// Not yet typed: arguments and result travel as a checked CBOR map, parsed by the handler.
import type { CborMap } from '../cbor.js';
import { defineCommand } from './command.js';

export const signEvmTx = defineCommand<CborMap, CborMap>()({
  name: 'sign.evm-tx',
  summary: 'Judge an EVM transaction by the policy; sign it, hold it for approvals, or deny it.',
  changesState: true,
  errors: ['forbidden',  'not_found',  'conflict',  'denied'],
  parseArgs: (m) => m,
});
