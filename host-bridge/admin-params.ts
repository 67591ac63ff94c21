// The parameters of the commands an admin asks for (whitelist.propose and .remove, policy.propose and
// .activate, key.generate) from the JSON a client sends, in one place for the bridge's routes and for
// an admin that stamps its request (request-stamp-client.ts): both must build the very same canonical
// arguments, since the stamp covers their SHA-256. The bridge only carries `requestId` and `stamp`.
import type { RequestStampParam } from '../protocol/commands/request-stamp-arg.js';
import type { WhitelistProposeParams } from '../protocol/commands/whitelist-propose.js';
import type { WhitelistRemoveParams } from '../protocol/commands/whitelist-remove.js';
import type { PolicyProposeParams } from '../protocol/commands/policy-propose.js';
import type { PolicyActivateParams } from '../protocol/commands/policy-activate.js';
import type { KeyGenerateParams } from '../protocol/commands/key-generate.js';
import { encodePolicy } from '../firmware-policy/policy-document.js';
import { jsonAddress, jsonHex, jsonObject, jsonString, jsonUint } from './json-cbor.js';
import { policyFromJson, type PolicyJson } from './policy-json.js';
import { stampFromJson } from './sign-params.js';
import { DEFAULT_MAX_FRAME } from '../protocol/frame.js';

/** The body's optional `requestId` and `stamp`, as the command takes them. */
export function adminStampFromJson(body: Record<string, unknown>): { requestId?: string; stamp?: RequestStampParam } {
  return { ...(body.requestId === undefined ? {} : { requestId: jsonString(body.requestId, 'requestId', 128) }), ...stampFromJson(body.stamp) };
}

export function whitelistProposeParams(body: Record<string, unknown>, requester: string): WhitelistProposeParams {
  return {
    requester,
    group: jsonString(body.group, 'group', 64),
    chainId: jsonUint(body.chainId, 'chainId'),
    address: jsonAddress(body.address, 'address'),
    ...(body.label === undefined ? {} : { label: jsonString(body.label, 'label', 128) }),
    ...adminStampFromJson(body),
  };
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
 * The canonical document a policy.propose body names: `document` as is, or `policy` (JSON) made into
 * the version that follows the active one (read only then).
 */
export async function proposedDocument(body: Record<string, unknown>, active: () => ActivePolicyRef | Promise<ActivePolicyRef>): Promise<Uint8Array> {
  if (body.document !== undefined) return jsonHex(body.document, 'document', undefined, DEFAULT_MAX_FRAME);
  const a = await active();
  return encodePolicy(policyFromJson(jsonObject(body.policy, 'policy') as unknown as PolicyJson, a.deviceId, a.version + 1, a.hash));
}

export function policyProposeParams(document: Uint8Array, body: Record<string, unknown>, requester: string): PolicyProposeParams {
  return { requester, document, ...adminStampFromJson(body) };
}

export function policyActivateParams(proposalId: string, body: Record<string, unknown>, requester: string): PolicyActivateParams {
  return { requester, proposalId, ...adminStampFromJson(body) };
}

export function keyGenerateParams(body: Record<string, unknown>, requester: string): KeyGenerateParams {
  return { requester, label: jsonString(body.label, 'label', 64), group: jsonString(body.group, 'group', 64), ...adminStampFromJson(body) };
}
