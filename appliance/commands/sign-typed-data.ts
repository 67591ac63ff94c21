// sign.typed-data (protocol/commands/sign-typed-data.ts): EIP-712 typed data, hashed by the appliance itself (it never signs a digest it is
// given), judged by the firmware policy (deny by default: an allowlisted domain, and a primary type
// the firmware decodes or the policy allowlists by exact type hash; Permit and Permit2 as
// allowances, EIP-3009 transfer authorisations as transfers, a Safe transaction by its Safe and its
// inner call, firmware-policy/rules/safe-tx.ts), then signed through the same
// decide-and-act path as a transaction: idempotent by request id, limits reserved before the key is
// used, audited (with its replay inputs) before the signature leaves.
import { encodeCanonical, sha256Canonical } from '../../protocol/cbor.js';
import type { SignTypedDataArgs, SignTypedDataResult } from '../../protocol/commands/sign-typed-data.js';
import { readTypedRequest } from '../../firmware-policy/evm/typed-intent.js';
import type { Device } from '../device.js';
import { assertFirmwareApproved, requireKey } from '../device.js';
import { decideAndAct, storedAnswer } from '../signing-flow.js';
import { typedRecordArgs } from '../typed-signing.js';

export async function signTypedData(dev: Device, args: SignTypedDataArgs): Promise<SignTypedDataResult> {
  const { requestId, requester, keyId } = args;
  // The stamp is judged once, when the request is made (re-judged for approvals, it is not needed).
  const requestAuth = { command: 'sign.typed-data', requestId, argsDigest: args.argsDigest, ...(args.stamp ? { stamp: args.stamp } : {}) };
  const typed = readTypedRequest(args.typedData); // validates the whole message
  const digest = typed.digest;
  const requestHash = sha256Canonical({ cmd: 'sign.typed-data', requester, keyId, digest });

  return dev.requestLocks.run(requestId, async () => {
    const existing = dev.requests.get(requestId);
    if (existing) return storedAnswer<SignTypedDataResult>(existing, 'sign.typed-data', requestHash);
    assertFirmwareApproved(dev);
    const key = requireKey(dev, keyId);
    const now = dev.clock();
    const record = {
      requestId,
      requestHash,
      kind: 'sign.typed-data',
      status: 'pending' as const,
      requester,
      keyId,
      intentDigest: digest,
      args: encodeCanonical(typedRecordArgs(requester, keyId, typed)),
      createdAt: now,
      updatedAt: now,
      response: null,
    };
    return decideAndAct(dev, { record, key, typed, digest, requestAuth }, [], 'sign.typed-data', { isNew: true });
  });
}
