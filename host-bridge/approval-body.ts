// The signed approvals' bodies, each a table of its members (body-fields.ts) that the route reads and
// the API description shows. An admin's (whitelist and policy proposal approvals and cancels, and the
// items of a device time statement): adminId, expiry and signature. An approver's, for
// POST /v1/requests/{id}/approvals: an approver's id, expiry and either a key-file signature
// (`signature`, 0x hex) or a passkey assertion (`webauthn`: authenticatorData, clientDataJSON and
// signature, each 0x hex). The bridge only re-encodes the assertion as the canonical CBOR map
// request.approve carries in `signature`; the appliance verifies it.
import { encodeCanonical } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';
import { MAX_APPROVAL_SIGNATURE_BYTES } from '../protocol/commands/request-approve.js';
import { hexSchema, optional, readBody, required, stringSchema, uintSchema, type BodyTable, type Schema } from './body-fields.js';
import { jsonHex, jsonObject, jsonString, jsonUint } from './json-cbor.js';

const expiresAtSchema: Schema = {
  ...uintSchema,
  description: `unix seconds; at most the policy's maxApprovalLifetimeSeconds (default 86400) after the device's time, else rejected lifetime_too_long (the same cap applies to every admin approval). ${String(uintSchema.description)}`,
};
const expiresAt = required(expiresAtSchema, (v, f) => Number(jsonUint(v, f)));
const signature = { ...hexSchema(), description: 'ES256 (DER) or Ed25519 signature over the canonical CBOR statement' };

/** An admin's signed approval: { adminId, expiresAt, signature }. */
export const ADMIN_APPROVAL_BODY = {
  adminId: required(stringSchema(128), (v, f) => jsonString(v, f, 128)),
  expiresAt,
  signature: required(signature, (v, f) => jsonHex(v, f)),
} satisfies BodyTable;

export type AdminApprovalBody = { adminId: string; expiresAt: number; signature: Uint8Array };

export function adminApprovalBody(b: Record<string, unknown>): AdminApprovalBody {
  return readBody(ADMIN_APPROVAL_BODY, b);
}

const WEBAUTHN_MEMBERS = ['authenticatorData', 'clientDataJSON', 'signature'] as const;
const assertionHex = (description: string): Schema => ({ ...hexSchema(MAX_APPROVAL_SIGNATURE_BYTES), description });

/** A passkey assertion, as the canonical CBOR map of its three byte strings. */
function webauthnFromJson(v: unknown): Uint8Array {
  const w = jsonObject(v, 'webauthn');
  for (const k of Object.keys(w)) {
    if (!(WEBAUTHN_MEMBERS as readonly string[]).includes(k)) throw new ApplianceError('bad_request', `"webauthn.${k}" is not a known field`, { field: `webauthn.${k}` });
  }
  return encodeCanonical(Object.fromEntries(WEBAUTHN_MEMBERS.map((k) => [k, jsonHex(w[k], `webauthn.${k}`, undefined, MAX_APPROVAL_SIGNATURE_BYTES)])));
}

/** Who approves and until when, read before the proof (so a bad id is refused first, as ever). */
const APPROVER = { approverId: required(stringSchema(128), (v, f) => jsonString(v, f, 128)), expiresAt } satisfies BodyTable;
/** The proof: exactly one of the two. */
const APPROVER_PROOF = {
  signature: optional(signature, (v, f) => jsonHex(v, f)),
  webauthn: optional(
    {
      type: 'object',
      description:
        "a passkey approver's assertion from navigator.credentials.get() with challenge = SHA-256(canonical CBOR statement); the bridge passes it to the appliance as the canonical CBOR map of these three byte strings (each at most 2,048 bytes)",
      required: [...WEBAUTHN_MEMBERS],
      additionalProperties: false,
      properties: {
        authenticatorData: assertionHex('authenticatorData as returned (UP and UV set, no attested credential data)'),
        clientDataJSON: assertionHex('the UTF-8 clientDataJSON bytes as returned'),
        signature: assertionHex('the DER ES256 signature as returned'),
      },
    },
    webauthnFromJson,
  ),
} satisfies BodyTable;

/** POST /v1/requests/{id}/approvals. */
export const APPROVER_APPROVAL_BODY = { ...APPROVER, ...APPROVER_PROOF } satisfies BodyTable;

export interface ApproverApprovalBody {
  approverId: string;
  expiresAt: number;
  signature: Uint8Array;
}

export function approverApprovalBody(b: Record<string, unknown>): ApproverApprovalBody {
  const { approverId, expiresAt } = readBody(APPROVER, b);
  if ((b.signature === undefined) === (b.webauthn === undefined)) {
    throw new ApplianceError('bad_request', 'an approval carries "signature" (key file) or "webauthn" (passkey assertion), exactly one', { field: 'signature' });
  }
  const proof = readBody(APPROVER_PROOF, b);
  return { approverId, expiresAt, signature: (proof.signature ?? proof.webauthn)! };
}
