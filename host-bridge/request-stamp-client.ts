// For a requester (an orchestrator, a script): the statement to sign for a signing request, built from
// the same JSON body the bridge will receive and the same conversion its route applies
// (sign-params.ts), so the stamp covers exactly the arguments the appliance gets. The requester signs
// the statement with its own key (ES256 DER or Ed25519) and adds `stamp: { expiresAt, signature }` to
// the body; the bridge only carries it.
import { toWireArgs } from '../protocol/commands/command.js';
import { stampedArgsDigest } from '../protocol/commands/request-stamp-arg.js';
import { encodeRequestStatement } from '../firmware-policy/request-stamp.js';
import { signEvmTxParams, signTypedDataParams } from './sign-params.js';

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
