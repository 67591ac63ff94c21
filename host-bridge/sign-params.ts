// The signing commands' parameters from the JSON a client sends, in one place for the bridge's routes
// and for a requester that stamps its request (request-stamp-client.ts): both must build the very same
// canonical arguments, since the stamp covers their SHA-256. Each body is a table of its members
// (body-fields.ts): the schema the API description shows for it and the reader that builds the argument.
import type { CborMap } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';
import type { SignEvmTxParams } from '../protocol/commands/sign-evm-tx.js';
import type { SignTypedDataParams } from '../protocol/commands/sign-typed-data.js';
import type { RequestStampParam } from '../protocol/commands/request-stamp-arg.js';
import { hexSchema, optional, readBody, required, stringSchema, uintSchema, type BodyTable, type Schema } from './body-fields.js';
import { jsonHex, jsonObject, jsonString, jsonToCbor, jsonUint, txFieldsFromJson } from './json-cbor.js';

/** A requester's (or an admin's) stamp: { expiresAt, signature: 0x hex of at most 128 bytes }, nothing else. */
export const STAMP_SCHEMA: Schema = {
  type: 'object',
  required: ['expiresAt', 'signature'],
  additionalProperties: false,
  properties: { expiresAt: uintSchema, signature: hexSchema(128) },
};

/** The body's `stamp`, if any: { expiresAt, signature: 0x hex }. */
export function stampFromJson(v: unknown): { stamp?: RequestStampParam } {
  if (v === undefined) return {};
  const s = jsonObject(v, 'stamp');
  for (const k of Object.keys(s)) if (k !== 'expiresAt' && k !== 'signature') throw new ApplianceError('bad_request', `"stamp" has an unknown field "${k}"`, { field: `stamp.${k}` });
  return { stamp: { expiresAt: Number(jsonUint(s.expiresAt, 'stamp.expiresAt')), signature: jsonHex(s.signature, 'stamp.signature', undefined, 128) } };
}

const keyId = required(stringSchema(128), (v, f) => jsonString(v, f, 128));
const stamp = optional(
  {
    ...STAMP_SCHEMA,
    description:
      "the requester's signature over the request statement (host-bridge/request-stamp-client.ts requestStatement, naming this Idempotency-Key); required in a key group with requireSignedRequests (docs/requesters.md); the bridge only carries it",
  },
  (v) => stampFromJson(v).stamp!,
);

/** POST /v1/sign/evm-transaction. */
export const SIGN_EVM_TX_BODY = {
  keyId,
  transaction: required({ $ref: '#/components/schemas/Transaction' }, (v) => txFieldsFromJson(v)),
  stamp,
  travelRuleHash: optional(
    {
      ...hexSchema(32, 32),
      description:
        "SHA-256 of the transfer's travel-rule payload (IVMS101 originator and beneficiary; 0x + 64 hex, else 400 bad_request { field: 'travelRuleHash' }). Covered by the requester's stamp, kept with the request (GET /v1/requests/{id} shows it) and written to its audit entry. A transfer strictly above its asset's travelRuleAbove without one is denied with reason travel_rule_missing.",
    },
    (v, f) => jsonHex(v, f, 32),
  ),
} satisfies BodyTable;

/** Components the bodies refer to: JSON whose numbers are all integers (jsonToCbor refuses a fraction). */
export const SIGN_BODY_SCHEMAS: Record<string, Schema> = {
  IntegralJson: {
    description: 'any JSON value whose numbers are integers (large or fractional values as decimal strings), at most 32 levels deep',
    oneOf: [
      { type: ['string', 'integer', 'boolean', 'null'] },
      { type: 'array', items: { $ref: '#/components/schemas/IntegralJson' } },
      { type: 'object', additionalProperties: { $ref: '#/components/schemas/IntegralJson' } },
    ],
  },
};

/** POST /v1/sign/typed-data. */
export const SIGN_TYPED_DATA_BODY = {
  keyId,
  typedData: required(
    {
      type: 'object',
      additionalProperties: { $ref: '#/components/schemas/IntegralJson' },
      description: '{ types, primaryType, domain, message }; large integers as decimal strings (integers only: no fractions), at most 32 levels deep',
    },
    (v, f) => jsonToCbor(jsonObject(v, f), f) as CborMap, // a JSON object becomes a CBOR map
  ),
  stamp,
} satisfies BodyTable;

export function signEvmTxParams(body: Record<string, unknown>, requester: string, requestId: string): SignEvmTxParams {
  const b = readBody(SIGN_EVM_TX_BODY, body);
  return { requestId, requester, keyId: b.keyId, tx: b.transaction, ...(b.travelRuleHash ? { travelRuleHash: b.travelRuleHash } : {}), ...(b.stamp ? { stamp: b.stamp } : {}) };
}

export function signTypedDataParams(body: Record<string, unknown>, requester: string, requestId: string): SignTypedDataParams {
  const b = readBody(SIGN_TYPED_DATA_BODY, body);
  return { requestId, requester, keyId: b.keyId, typedData: b.typedData, ...(b.stamp ? { stamp: b.stamp } : {}) };
}
