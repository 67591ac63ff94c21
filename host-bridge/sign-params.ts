// The signing commands' parameters from the JSON a client sends, in one place for the bridge's routes
// and for a requester that stamps its request (request-stamp-client.ts): both must build the very same
// canonical arguments, since the stamp covers their SHA-256.
import type { CborMap } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';
import type { SignEvmTxParams } from '../protocol/commands/sign-evm-tx.js';
import type { SignTypedDataParams } from '../protocol/commands/sign-typed-data.js';
import type { RequestStampParam } from '../protocol/commands/request-stamp-arg.js';
import { jsonHex, jsonObject, jsonString, jsonToCbor, jsonUint, txFieldsFromJson } from './json-cbor.js';

/** The body's `stamp`, if any: { expiresAt, signature: 0x hex }. */
export function stampFromJson(v: unknown): { stamp?: RequestStampParam } {
  if (v === undefined) return {};
  const s = jsonObject(v, 'stamp');
  for (const k of Object.keys(s)) if (k !== 'expiresAt' && k !== 'signature') throw new ApplianceError('bad_request', `"stamp" has an unknown field "${k}"`, { field: `stamp.${k}` });
  return { stamp: { expiresAt: Number(jsonUint(s.expiresAt, 'stamp.expiresAt')), signature: jsonHex(s.signature, 'stamp.signature', undefined, 128) } };
}

export function signEvmTxParams(body: Record<string, unknown>, requester: string, requestId: string): SignEvmTxParams {
  const travelRule = body.travelRuleHash === undefined ? {} : { travelRuleHash: jsonHex(body.travelRuleHash, 'travelRuleHash', 32) };
  return { requestId, requester, keyId: jsonString(body.keyId, 'keyId', 128), tx: txFieldsFromJson(body.transaction), ...travelRule, ...stampFromJson(body.stamp) };
}

export function signTypedDataParams(body: Record<string, unknown>, requester: string, requestId: string): SignTypedDataParams {
  const keyId = jsonString(body.keyId, 'keyId', 128);
  const typedData = jsonToCbor(jsonObject(body.typedData, 'typedData'), 'typedData') as CborMap; // a JSON object becomes a CBOR map
  return { requestId, requester, keyId, typedData, ...stampFromJson(body.stamp) };
}
