// request.approve: add one approver's signed statement to a request pending approval; the request is
// signed in the same command once the policy's quorum is met. Approving a signed request changes
// nothing and answers it again.
import { onlyKeys, str } from '../args.js';
import { signedApproval, type AdminApproval as SignedApproval } from './admin-approval.js';
import { defineCommand } from './command.js';
import type { RequestAnswer } from './signing-answer.js';

export interface RequestApproveParams {
  requestId: string;
  approverId: string;
  /** Unix seconds; the approval stops counting at this instant. */
  expiresAt: number;
  /**
   * Over the approval statement the pending answer names: a key-file approver's signature, or a
   * passkey approver's assertion as the canonical CBOR map { authenticatorData, clientDataJSON,
   * signature } whose challenge is SHA-256 of the statement. At most 2,048 bytes.
   */
  signature: Uint8Array;
}

/** Room for a passkey assertion (authenticator data, client data JSON and DER signature, CBOR-wrapped). */
export const MAX_APPROVAL_SIGNATURE_BYTES = 2048;

export interface RequestApproveArgs {
  requestId: string;
  approval: SignedApproval;
}

/** The request's answer after this approval: signed, still pending, or denied by the policy. */
export type RequestApproveResult = RequestAnswer;

export const requestApprove = defineCommand<RequestApproveParams, RequestApproveResult, RequestApproveArgs>()({
  name: 'request.approve',
  summary: 'Add an approver signature to a pending request; sign when the quorum is met.',
  changesState: true,
  // not_found: no such request (or its key). conflict: the request is denied, failed, aborted or
  // being signed. denied: the approval is rejected, the firmware is not approved, or the sealed
  // state is broken.
  errors: ['not_found', 'conflict', 'denied'],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['requestId', 'approverId', 'expiresAt', 'signature']);
    return { requestId: str(m, 'requestId', 128), approval: signedApproval(m, 'approverId', MAX_APPROVAL_SIGNATURE_BYTES) };
  },
});
