// sign.evm-tx: judge an EVM transaction by the active policy; sign it, hold it for approvals, or deny
// it. Idempotent by `requestId`: a retry of the same request gets the stored answer. The transaction
// fields are a map the firmware policy decodes (firmware-policy/evm/tx-from-fields.ts).
import type { CborMap } from '../cbor.js';
import { asMap, bytes, onlyKeys, str } from '../args.js';
import { defineCommand } from './command.js';
import { parseStamp, type RequestStampParam, type StampedArgs } from './request-stamp-arg.js';
import type { RequestAnswer, SignedTxAnswer } from './signing-answer.js';

export type SignEvmTxParams = {
  /** The idempotency key. */
  requestId: string;
  requester: string;
  keyId: string;
  /** The transaction's fields (type, chainId, nonce, to, value, data, gas…), checked by the firmware policy. */
  tx: CborMap;
  /**
   * SHA-256 of the transfer's travel-rule payload (IVMS101 originator and beneficiary), 32 bytes: the
   * policy may require one above an asset's `travelRuleAbove`. Covered by the stamp, kept with the
   * request and written to its audit entry.
   */
  travelRuleHash?: Uint8Array;
  /** The requester's signature over this request (required when the policy says so). */
  stamp?: RequestStampParam;
};

export type SignEvmTxArgs = Omit<SignEvmTxParams, 'stamp'> & StampedArgs;

export type SignEvmTxResult = RequestAnswer<SignedTxAnswer>;

export const signEvmTx = defineCommand<SignEvmTxParams, SignEvmTxResult, SignEvmTxArgs>()({
  name: 'sign.evm-tx',
  summary: 'Judge an EVM transaction by the policy; sign it, hold it for approvals, or deny it.',
  changesState: true,
  // not_found: no such key. conflict: the requestId was used for another request, or is being
  // signed. denied: the firmware is not approved or the sealed state is broken (a policy denial is
  // an answer, status "denied").
  errors: ['not_found', 'conflict', 'denied'],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['requestId', 'requester', 'keyId', 'tx', 'travelRuleHash', 'stamp']);
    return {
      requestId: str(m, 'requestId', 128),
      requester: str(m, 'requester', 128),
      keyId: str(m, 'keyId', 128),
      tx: asMap(m.tx, 'tx'),
      ...(m.travelRuleHash === undefined ? {} : { travelRuleHash: bytes(m, 'travelRuleHash', 32) }),
      ...parseStamp(m),
    };
  },
});
