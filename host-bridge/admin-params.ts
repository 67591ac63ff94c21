// The parameters of the commands an admin asks for (whitelist.propose and .remove, policy.propose and
// .activate, key.generate) from the JSON a client sends, in one place for the bridge's routes and for
// an admin that stamps its request (request-stamp-client.ts): both must build the very same canonical
// arguments, since the stamp covers their SHA-256. The bridge only carries `requestId` and `stamp`.
// Each body is a table of its members (body-fields.ts): the schema the API description shows and the
// reader that builds the argument.
import { ApplianceError } from '../protocol/errors.js';
import type { RequestStampParam } from '../protocol/commands/request-stamp-arg.js';
import type { WhitelistProposeParams } from '../protocol/commands/whitelist-propose.js';
import type { WhitelistRemoveParams } from '../protocol/commands/whitelist-remove.js';
import type { PolicyProposeParams } from '../protocol/commands/policy-propose.js';
import type { PolicyActivateParams } from '../protocol/commands/policy-activate.js';
import type { KeyGenerateParams } from '../protocol/commands/key-generate.js';
import type { HdCreateParams } from '../protocol/commands/hd-create.js';
import type { HdDeriveParams } from '../protocol/commands/hd-derive.js';
import { encodePolicy } from '../firmware-policy/policy-document.js';
import { addressSchema, hexSchema, optional, readBody, required, stringSchema, uintSchema, type BodyTable } from './body-fields.js';
import { jsonAddress, jsonHex, jsonObject, jsonOptUint, jsonString, jsonUint } from './json-cbor.js';
import { policyFromJson, type PolicyJson } from './policy-json.js';
import { STAMP_SCHEMA, stampFromJson } from './sign-params.js';
import { DEFAULT_MAX_FRAME } from '../protocol/frame.js';

/**
 * What an admin adds to a command it asks for when it stamps it (required under the policy's
 * requireSignedProposals); alone, the body of DELETE /v1/whitelist/{chainId}/{address} and of
 * POST /v1/policy/proposals/{id}/activate (both optional bodies).
 */
export const ADMIN_STAMP_BODY = {
  requestId: optional({ ...stringSchema(128), description: 'the id the admin stamp names (required with a stamp)' }, (v, f) => jsonString(v, f, 128)),
  stamp: optional(
    { ...STAMP_SCHEMA, description: "the admin's signature over the request statement (host-bridge/request-stamp-client.ts adminRequestStatement); the bridge only carries it" },
    (v) => stampFromJson(v).stamp!,
  ),
} satisfies BodyTable;

/** The body's optional `requestId` and `stamp`, as the command takes them. */
export function adminStampFromJson(body: Record<string, unknown>): { requestId?: string; stamp?: RequestStampParam } {
  return readBody(ADMIN_STAMP_BODY, body);
}

const group = required(stringSchema(64), (v, f) => jsonString(v, f, 64));

/** POST /v1/whitelist/proposals. */
export const WHITELIST_PROPOSE_BODY = {
  group,
  chainId: required(uintSchema, jsonUint),
  address: required(addressSchema, jsonAddress),
  label: optional(stringSchema(128), (v, f) => jsonString(v, f, 128)),
  ...ADMIN_STAMP_BODY,
} satisfies BodyTable;

export function whitelistProposeParams(body: Record<string, unknown>, requester: string): WhitelistProposeParams {
  return { requester, ...readBody(WHITELIST_PROPOSE_BODY, body) };
}

/** DELETE /v1/whitelist/{chainId}/{address}?group=…: the path and query, and the body's stamp. */
export function whitelistRemoveParams(chainId: unknown, address: unknown, group: string | undefined, body: Record<string, unknown>, requester: string): WhitelistRemoveParams {
  return {
    requester,
    chainId: jsonUint(chainId, 'chainId'),
    address: jsonAddress(address, 'address'),
    ...(group ? { group: jsonString(group, 'group', 64) } : {}),
    ...adminStampFromJson(body),
  };
}

/** What the active policy is, for a proposal given as a JSON policy (its version and parent follow it). */
export interface ActivePolicyRef {
  deviceId: string;
  version: number;
  hash: Uint8Array;
}

/**
 * POST /v1/policy/proposals: `document`, or else `policy` (the one that is present is read: a body
 * with `document` has its `policy` ignored), and the admin's stamp. The `policy` member's reader takes
 * the object; policyFromJson then reads the policy itself, against the active one.
 */
export const POLICY_PROPOSE_BODY = {
  policy: optional({ type: 'object', description: 'same format as DEMO-policy.json; read only when `document` is absent' }, (v, f) => jsonObject(v, f) as unknown as PolicyJson),
  document: optional({ ...hexSchema(DEFAULT_MAX_FRAME), description: 'canonical CBOR policy document, at most 1 MiB' }, (v, f) => jsonHex(v, f, undefined, DEFAULT_MAX_FRAME)),
  ...ADMIN_STAMP_BODY,
} satisfies BodyTable;

/**
 * The canonical document a policy.propose body names: `document` as is, or `policy` (JSON) made into
 * the version that follows the active one (read only then).
 */
export async function proposedDocument(body: Record<string, unknown>, active: () => ActivePolicyRef | Promise<ActivePolicyRef>): Promise<Uint8Array> {
  if (body.document !== undefined) return POLICY_PROPOSE_BODY.document.read(body.document, 'document');
  const a = await active();
  return encodePolicy(policyFromJson(POLICY_PROPOSE_BODY.policy.read(body.policy, 'policy'), a.deviceId, a.version + 1, a.hash));
}

export function policyProposeParams(document: Uint8Array, body: Record<string, unknown>, requester: string): PolicyProposeParams {
  return { requester, document, ...adminStampFromJson(body) };
}

export function policyActivateParams(proposalId: string, body: Record<string, unknown>, requester: string): PolicyActivateParams {
  return { requester, proposalId, ...adminStampFromJson(body) };
}

/** POST /v1/keys. */
export const KEY_GENERATE_BODY = {
  label: required(stringSchema(64), (v, f) => jsonString(v, f, 64)),
  group,
  ...ADMIN_STAMP_BODY,
} satisfies BodyTable;

export function keyGenerateParams(body: Record<string, unknown>, requester: string): KeyGenerateParams {
  return { requester, ...readBody(KEY_GENERATE_BODY, body) };
}

/** POST /v1/hd-wallets. */
export const HD_CREATE_BODY = {
  label: required(stringSchema(64), (v, f) => jsonString(v, f, 64)),
  ...ADMIN_STAMP_BODY,
} satisfies BodyTable;

export function hdCreateParams(body: Record<string, unknown>, requester: string): HdCreateParams {
  return { requester, ...readBody(HD_CREATE_BODY, body) };
}

const hdIndex = (v: unknown, f: string): number => {
  const n = jsonOptUint(v, f);
  if (n === undefined) throw new ApplianceError('bad_request', `"${f}" is required`, { field: f });
  return n;
};

/** POST /v1/hd-wallets/{walletId}/keys: the key at m/44'/60'/account'/0/index. */
export const HD_DERIVE_BODY = {
  account: required({ type: 'integer', minimum: 0, maximum: 0x7fffffff, description: "a in m/44'/60'/a'/0/i" }, hdIndex),
  index: required({ type: 'integer', minimum: 0, maximum: 0x7fffffff, description: "i in m/44'/60'/a'/0/i" }, hdIndex),
  group,
  label: required(stringSchema(64), (v, f) => jsonString(v, f, 64)),
  ...ADMIN_STAMP_BODY,
} satisfies BodyTable;

export function hdDeriveParams(walletId: string, body: Record<string, unknown>, requester: string): HdDeriveParams {
  return { requester, walletId, ...readBody(HD_DERIVE_BODY, body) };
}
