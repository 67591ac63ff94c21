// For a requester (an orchestrator, a script): the statement to sign for a signing request, built from
// the same JSON body the bridge will receive and the same conversion its route applies
// (sign-params.ts), so the stamp covers exactly the arguments the appliance gets. The requester signs
// the statement with its own key (ES256 DER or Ed25519) and adds `stamp: { expiresAt, signature }` to
// the body; the bridge only carries it. An admin stamps the commands it asks for the same way
// (adminRequestStatement), naming its own `requestId` in the body next to the stamp.
import { toWireArgs } from '../protocol/commands/command.js';
import { stampedArgsDigest } from '../protocol/commands/request-stamp-arg.js';
import { encodeRequestStatement } from '../firmware-policy/request-stamp.js';
import { ApplianceError } from '../protocol/errors.js';
import { signEvmTxParams, signTypedDataParams } from './sign-params.js';
import { hdDeriveParams, keyGenerateParams, policyActivateParams, policyProposeParams, whitelistProposeParams, whitelistRemoveParams } from './admin-params.js';

export type StampedCommand = 'sign.evm-tx' | 'sign.typed-data';

export interface StatementRequest {
  deviceId: string;
  command: StampedCommand;
  /** The JSON body as it will be posted (a `stamp` in it is ignored). */
  body: Record<string, unknown>;
  /** The principal the requester's bridge token is bound to. */
  requester: string;
  /** The Idempotency-Key. */
  requestId: string;
  expiresAt: number;
}

export function requestStatement(r: StatementRequest): Uint8Array {
  const { stamp: _ignored, ...body } = r.body;
  const params = r.command === 'sign.evm-tx' ? signEvmTxParams(body, r.requester, r.requestId) : signTypedDataParams(body, r.requester, r.requestId);
  const argsDigest = stampedArgsDigest(toWireArgs(params));
  return encodeRequestStatement({ deviceId: r.deviceId, command: r.command, requester: r.requester, requestId: r.requestId, argsDigest, expiresAt: r.expiresAt });
}

/** The commands an admin asks for through the bridge, with what each route takes beyond the body. */
export type AdminStatementTarget =
  | { command: 'whitelist.propose' }
  | { command: 'key.generate' }
  /** POST /v1/hd-wallets/{walletId}/keys */
  | { command: 'hd.derive'; walletId: string }
  /** DELETE /v1/whitelist/{chainId}/{address}?group=… */
  | { command: 'whitelist.remove'; chainId: string | number; address: string; group?: string }
  /** The canonical document the proposal will carry (admin-params.ts proposedDocument). */
  | { command: 'policy.propose'; document: Uint8Array }
  | { command: 'policy.activate'; proposalId: string };

export type AdminStatementRequest = AdminStatementTarget & {
  deviceId: string;
  /** The JSON body as it will be sent, with the admin's `requestId` (a `stamp` in it is ignored). */
  body: Record<string, unknown>;
  /** The admin the bridge token is bound to. */
  requester: string;
  expiresAt: number;
};

/** What an admin signs for a command it asks for: the same statement shape as a signing request's. */
export function adminRequestStatement(r: AdminStatementRequest): Uint8Array {
  const { stamp: _ignored, ...body } = r.body;
  if (typeof body.requestId !== 'string') throw new ApplianceError('bad_request', 'a stamped request names its "requestId" in the body', { field: 'requestId' });
  const params =
    r.command === 'whitelist.propose'
      ? whitelistProposeParams(body, r.requester)
      : r.command === 'key.generate'
        ? keyGenerateParams(body, r.requester)
        : r.command === 'hd.derive'
          ? hdDeriveParams(r.walletId, body, r.requester)
          : r.command === 'whitelist.remove'
            ? whitelistRemoveParams(r.chainId, r.address, r.group, body, r.requester)
            : r.command === 'policy.propose'
              ? policyProposeParams(r.document, body, r.requester)
              : policyActivateParams(r.proposalId, body, r.requester);
  const argsDigest = stampedArgsDigest(toWireArgs(params));
  return encodeRequestStatement({ deviceId: r.deviceId, command: r.command, requester: r.requester, requestId: body.requestId, argsDigest, expiresAt: r.expiresAt });
}
