// sign.evm-tx (protocol/commands/sign-evm-tx.ts): decode an EVM transaction from its fields, judge it with the active policy and, if
// allowed, sign it with a token key. Idempotent by request id (DESIGN.md invariant 4).
import { encodeCanonical, sha256Canonical, type CborMap } from '../../protocol/cbor.js';
import type { SignEvmTxArgs, SignEvmTxResult } from '../../protocol/commands/sign-evm-tx.js';
import { txFromFields, txToFields } from '../../firmware-policy/evm/tx-from-fields.js';
import { intentDigest, intentFromEvmTx } from '../../firmware-policy/intent.js';
import type { Device } from '../device.js';
import { assertFirmwareApproved, requireKey } from '../device.js';
import { decideAndAct, storedAnswer } from '../signing-flow.js';

export async function signEvmTx(dev: Device, args: SignEvmTxArgs): Promise<SignEvmTxResult> {
  const { requestId, requester, keyId } = args;
  // The stamp is judged once, when the request is made (re-judged for approvals, it is not needed).
  const requestAuth = { command: 'sign.evm-tx', requestId, argsDigest: args.argsDigest, ...(args.stamp ? { stamp: args.stamp } : {}) };
  // Decoding the transaction and hashing the request: the 'decode' stage of the signing path.
  const { tx, canonicalArgs, requestHash } = dev.stages.time('decode', () => {
    const decoded = txFromFields(args.tx);
    const canonical: CborMap = { requester, keyId, tx: txToFields(decoded) };
    if (args.travelRuleHash) canonical.travelRuleHash = args.travelRuleHash;
    return { tx: decoded, canonicalArgs: canonical, requestHash: sha256Canonical({ cmd: 'sign.evm-tx', ...canonical }) };
  });
  // A travel-rule hash is part of the request: kept with its arguments (a retry naming another is a
  // different request), judged by the policy and written to the audit entry.
  const travelRule: { travelRuleHash?: Uint8Array } = {};
  if (args.travelRuleHash) travelRule.travelRuleHash = args.travelRuleHash;

  return dev.requestLocks.run(requestId, async () => {
    const existing = dev.requests.get(requestId);
    if (existing) return storedAnswer<SignEvmTxResult>(existing, 'sign.evm-tx', requestHash);
    assertFirmwareApproved(dev);
    const key = requireKey(dev, keyId);
    const intent = intentFromEvmTx(key.keyId, tx);
    const digest = intentDigest(intent);
    const now = dev.clock();
    const record = {
      requestId,
      requestHash,
      kind: 'sign.evm-tx',
      status: 'pending' as const,
      requester,
      keyId,
      intentDigest: digest,
      args: encodeCanonical(canonicalArgs),
      createdAt: now,
      updatedAt: now,
      response: null,
    };
    return decideAndAct(dev, { record, tx, key, intent, digest, requestAuth, ...travelRule }, [], 'sign.evm-tx', { isNew: true });
  });
}
