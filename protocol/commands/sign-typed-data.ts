// sign.typed-data: judge EIP-712 typed data by the active policy; sign it, hold it for approvals, or
// deny it. The appliance hashes the typed data itself (it never signs a digest it is given).
// Idempotent by `requestId`. The typed data is a map the firmware policy decodes
// (firmware-policy/evm/typed-intent.ts).
import type { CborMap } from '../cbor.js';
import { asMap, onlyKeys, str } from '../args.js';
import { defineCommand } from './command.js';
import { parseStamp, type RequestStampParam, type StampedArgs } from './request-stamp-arg.js';
import type { RequestAnswer, SignedTypedAnswer } from './signing-answer.js';

export type SignTypedDataParams = {
  /** The idempotency key. */
  requestId: string;
  requester: string;
  keyId: string;
  /** The EIP-712 message (domain, types, primaryType, message), checked by the firmware policy. */
  typedData: CborMap;
  /** The requester's signature over this request (required when the policy says so). */
  stamp?: RequestStampParam;
};

export type SignTypedDataArgs = Omit<SignTypedDataParams, 'stamp'> & StampedArgs;

export type SignTypedDataResult = RequestAnswer<SignedTypedAnswer>;

export const signTypedData = defineCommand<SignTypedDataParams, SignTypedDataResult, SignTypedDataArgs>()({
  name: 'sign.typed-data',
  summary: 'Judge EIP-712 typed data by the policy; sign it, hold it for approvals, or deny it.',
  changesState: true,
  // As sign.evm-tx: not_found (key), conflict (requestId reused or being signed), denied (firmware
  // not approved, sealed state broken); a policy denial is an answer.
  errors: ['not_found', 'conflict', 'denied'],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['requestId', 'requester', 'keyId', 'typedData', 'stamp']);
    return { requestId: str(m, 'requestId', 128), requester: str(m, 'requester', 128), keyId: str(m, 'keyId', 128), typedData: asMap(m.typedData, 'typedData'), ...parseStamp(m) };
  },
});
