// The bridge app over a recording appliance: each command a route sends is recorded as its wire
// arguments (cmd, args) and answered with a canned CBOR result. Tokens and the principal directory
// are the real ones, over a small policy (one requester, admin, approver and auditor), so the scope
// checks are the bridge's own. The unit under test is the JSON-to-CBOR translation and the reply.
import assert from 'node:assert/strict';
import type { CborMap } from '../../../protocol/cbor.js';
import { ApplianceError } from '../../../protocol/errors.js';
import type { Command } from '../../../protocol/messages.js';
import { policyToCbor } from '../../../firmware-policy/policy-document.js';
import { createApp, type BridgeOptions } from '../../../host-bridge/app.js';
import { hashToken, TokenVerifier, type Scope } from '../../../host-bridge/auth.js';
import { PrincipalDirectory } from '../../../host-bridge/principal-directory.js';
import { policyFromJson } from '../../../host-bridge/policy-json.js';
import { ROUTE_ERRORS } from '../../../host-bridge/openapi.js';
import { generateApproverKey, publicPart } from '../../../cli/approver-key.js';
import { problemOf } from '../../helpers/problem.js';

export const admin = generateApproverKey('admin-1', 'ES256');
const approver = generateApproverKey('appr-1', 'EdDSA');
const policy = policyFromJson({ adminQuorum: 1, admins: [publicPart(admin)], approvers: [publicPart(approver)], requesters: [{ id: 'orch-1' }], auditors: [{ id: 'aud-1' }], groups: {} }, 'dev-1');
/** policy.get of the active policy (version 1). */
export const activePolicy: CborMap = { version: 1, hash: new Uint8Array(32).fill(7), activatedAt: 0, document: policyToCbor(policy) };

/** One token per scope, each bound to the principal holding its role; `stranger` has every scope and no principal in the policy. */
export const TOKENS = { orchestrator: 'token-orch', approver: 'token-appr', admin: 'token-admin', auditor: 'token-aud', adminAsRequester: 'token-admin-orch' } as const;
const records: { name: string; scopes: Scope[]; sha256: string; principal: string }[] = [
  { name: 'orch', scopes: ['orchestrator'], sha256: hashToken(TOKENS.orchestrator), principal: 'orch-1' },
  { name: 'appr', scopes: ['approver'], sha256: hashToken(TOKENS.approver), principal: 'appr-1' },
  { name: 'admin', scopes: ['admin'], sha256: hashToken(TOKENS.admin), principal: 'admin-1' },
  { name: 'aud', scopes: ['auditor'], sha256: hashToken(TOKENS.auditor), principal: 'aud-1' },
  // An admin-scope token bound to the requester: the scope is held, the role is not.
  { name: 'admin-orch', scopes: ['admin'], sha256: hashToken(TOKENS.adminAsRequester), principal: 'orch-1' },
];

export interface Recorded {
  cmd: Command;
  args: CborMap;
  traceId: string | undefined;
}

/** A canned answer: a result, an error to throw, or a result made from the arguments. */
export type Answer = CborMap | ApplianceError | ((args: CborMap) => CborMap);

/** The app, what it sent, and the answers to give by command (an empty map when none is given); `extra` adds bridge options (the JSON-RPC endpoint's node). */
export function recordingBridge(answers: Partial<Record<Command, Answer>> = {}, extra: Pick<BridgeOptions, 'jsonRpc'> = {}) {
  const sent: Recorded[] = [];
  const app = createApp({
    appliance: {
      call: async (cmd, args = {}, traceId) => {
        sent.push({ cmd, args, traceId });
        const a = answers[cmd];
        if (a instanceof ApplianceError) throw a;
        return typeof a === 'function' ? a(args) : (a ?? {});
      },
    },
    tokens: new TokenVerifier(records),
    principals: new PrincipalDirectory({ call: async () => activePolicy }),
    ...extra,
  });
  const request = (method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
    app.request(path, {
      method,
      headers: { ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}), ...(opts.body === undefined ? {} : { 'Content-Type': 'application/json' }), ...opts.headers },
      ...(opts.body === undefined ? {} : { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) }),
    });
  return { app, sent, request };
}

/** The route's documented commands (host-bridge/openapi.ts) name what it sent: the description stays true. */
export function documentedCommands(operation: string): readonly string[] {
  return ROUTE_ERRORS[operation]?.commands ?? [];
}

/** The error answer's code, detail (as message) and details, after checking it is an RFC 9457 problem. */
export async function errorOf(res: Response): Promise<{ code: string; message: string; details?: Record<string, unknown> }> {
  assert.equal(res.headers.get('Content-Type'), 'application/problem+json');
  return problemOf(await res.json());
}
