// Signed requests (issue 12 item 1): a requester stamps what it asks for with its own key, so the
// host that carries the request can delay or drop it but never originate, alter or re-target it.
// The stamp is a signature over a canonical request statement naming the device, the command, the
// requester, the request id, the SHA-256 of the command's canonical arguments (without the stamp)
// and an expiry. Pure: the caller gives the policy, the request's parts and the device's time.
import { encodeCanonical } from '../protocol/cbor.js';
import type { Reason } from './decision.js';
import type { ReasonCode } from './reason-codes.js';
import { groupOf, maxApprovalLifetimeSeconds, type PolicyDocument } from './policy-document.js';
import { verifyApprovalSignature, type ApprovalAlg } from './approvals/verify-signature.js';
import { earliestOf, latestOf, type Now } from './device-time.js';
import { checkRequester } from './principals.js';

/** The variable parts of a stamp as the request carries them. */
export interface RequestStamp {
  /** Device time (Unix seconds) after which the stamp is refused. */
  expiresAt: number;
  /** ES256 (DER) or Ed25519 over the encoded statement, with the requester's key in the policy. */
  signature: Uint8Array;
}

export interface RequestStatement {
  deviceId: string;
  /** The wire command, e.g. "sign.evm-tx". */
  command: string;
  requester: string;
  requestId: string;
  /** sha256Canonical of the command's arguments without the stamp. */
  argsDigest: Uint8Array;
  expiresAt: number;
}

/** What a requester signs. */
export function encodeRequestStatement(s: RequestStatement): Uint8Array {
  return encodeCanonical({ type: 'request', deviceId: s.deviceId, command: s.command, requester: s.requester, requestId: s.requestId, argsDigest: s.argsDigest, expiresAt: s.expiresAt });
}

export interface StampedRequest {
  command: string;
  requester: string;
  requestId: string;
  argsDigest: Uint8Array;
  /** The key group the request would use. */
  keyGroup: string;
  stamp: RequestStamp | undefined;
}

/**
 * Who asked, as far as the firmware can tell: `verified` when the requester's stamp checked out
 * against its key in the policy, `named` when the request is unsigned and the policy lets it pass on
 * the bridge's word (a requester without a key, in a group that does not require signed requests).
 */
export type RequesterProof = 'verified' | 'named';

export interface RequesterCheck {
  reasons: Reason[];
  proof: RequesterProof;
}

const reason = (r: { code: ReasonCode; message: string }, requester: string): Reason => ({ rule: 'requester', ...r, detail: { requester } });

/** Why a present stamp fails for `req` under the signer's key (none when it checks out). */
function stampReasons(
  policy: PolicyDocument,
  key: { alg: ApprovalAlg; publicKey: Uint8Array },
  req: { command: string; requester: string; requestId: string; argsDigest: Uint8Array },
  stamp: RequestStamp,
  now: Now,
): Reason[] {
  const { expiresAt, signature } = stamp;
  if (expiresAt <= latestOf(now)) return [reason({ code: 'request_expired', message: 'the request signature has expired' }, req.requester)];
  if (expiresAt - earliestOf(now) > maxApprovalLifetimeSeconds(policy)) {
    return [reason({ code: 'request_lifetime_too_long', message: "the request signature is meant to outlive the policy's approval lifetime" }, req.requester)];
  }
  const statement = encodeRequestStatement({ deviceId: policy.deviceId, command: req.command, requester: req.requester, requestId: req.requestId, argsDigest: req.argsDigest, expiresAt });
  if (!verifyApprovalSignature(key.alg, key.publicKey, statement, signature)) {
    return [reason({ code: 'request_bad_signature', message: "the request signature does not verify with the requester's key over this request" }, req.requester)];
  }
  return [];
}

/**
 * The requester rule: the id is a requester of the policy, may use the key group (its `groups`, when
 * listed), and, when it has a request key or the group requires signed requests, its stamp is present,
 * unexpired, not meant to outlive the policy's approval lifetime, and verifies over this very request.
 */
export function checkRequestStamp(policy: PolicyDocument, req: StampedRequest, now: Now): RequesterCheck {
  const named = checkRequester(policy, req.requester, 'requester');
  if (named.length > 0) return { reasons: named, proof: 'named' };
  const who = (policy.requesters ?? []).find((r) => r.id === req.requester);
  if (!who) return { reasons: [reason({ code: 'unknown_principal', message: `"${req.requester}" is not a principal of the active policy` }, req.requester)], proof: 'named' };
  const reasons: Reason[] = [];
  if (who.groups !== undefined && !who.groups.includes(req.keyGroup)) {
    reasons.push({
      rule: 'requester',
      code: 'requester_group_not_allowed',
      message: `requester "${who.id}" may not ask for key group "${req.keyGroup}"`,
      detail: { requester: who.id, group: req.keyGroup },
    });
  }
  const required = who.publicKey !== undefined || groupOf(policy, req.keyGroup)?.requireSignedRequests === true;
  if (req.stamp === undefined) {
    if (required) reasons.push(reason({ code: 'request_unsigned', message: 'this request must be signed by its requester' }, who.id));
    return { reasons, proof: 'named' };
  }
  if (who.publicKey === undefined || who.alg === undefined) {
    reasons.push(reason({ code: 'requester_has_no_key', message: `requester "${who.id}" has no request key in the active policy` }, who.id));
    return { reasons, proof: 'named' };
  }
  reasons.push(...stampReasons(policy, { alg: who.alg, publicKey: who.publicKey }, req, req.stamp, now));
  return { reasons, proof: reasons.length === 0 ? 'verified' : 'named' };
}

/** What a new request carries for the requester rule: its command, id, argument digest and stamp. */
export interface RequestAuth {
  command: string;
  requestId: string;
  argsDigest: Uint8Array;
  stamp?: RequestStamp;
}

/**
 * The requester rule as the evaluators apply it. A new request (with `auth`) is judged on its stamp;
 * a request judged again for its approvals was judged on its stamp when it was made, so its id only
 * needs to hold the role still.
 */
export function requesterReasons(policy: PolicyDocument, requester: string, keyGroup: string, auth: RequestAuth | undefined, now: Now): RequesterCheck {
  if (!auth) return { reasons: checkRequester(policy, requester, 'requester'), proof: 'named' };
  return checkRequestStamp(policy, { command: auth.command, requester, requestId: auth.requestId, argsDigest: auth.argsDigest, keyGroup, stamp: auth.stamp }, now);
}

/** A command an admin asks for (a proposal, a removal, an activation, a key): who, which, and its stamp. */
export interface AdminRequest {
  command: string;
  requester: string;
  /** The request id the stamp names; absent on an unsigned request. */
  requestId: string | undefined;
  argsDigest: Uint8Array;
  stamp: RequestStamp | undefined;
}

/**
 * The requester rule for a command an admin asks for. The id must be an admin of the policy; when the
 * policy says `requireSignedProposals`, the request must carry that admin's stamp (by its approval
 * key) over this very request, unexpired and within the approval lifetime. A stamp given when the
 * policy does not require one is checked all the same: a wrong stamp is never ignored.
 */
export function checkAdminRequestStamp(policy: PolicyDocument, req: AdminRequest, now: Now): RequesterCheck {
  const named = checkRequester(policy, req.requester, 'admin');
  if (named.length > 0) return { reasons: named, proof: 'named' };
  const admin = policy.admins.find((a) => a.id === req.requester)!;
  if (req.stamp === undefined || req.requestId === undefined) {
    const reasons = policy.requireSignedProposals === true ? [reason({ code: 'request_unsigned', message: 'this request must be signed by the admin it names' }, admin.id)] : [];
    return { reasons, proof: 'named' };
  }
  const reasons = stampReasons(policy, admin, { ...req, requestId: req.requestId }, req.stamp, now);
  return { reasons, proof: reasons.length === 0 ? 'verified' : 'named' };
}
