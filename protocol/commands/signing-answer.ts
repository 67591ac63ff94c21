// The answers of the signing commands (sign.evm-tx, sign.typed-data, request.approve), as the
// appliance stores them with the request and answers them again to a retry under the same
// idempotency key or to request.get: signed, pending approval, denied by the policy, failed at the
// key (nothing released), or aborted by a restart before the signature was released.
import type { CborMap } from '../cbor.js';

/** Why the policy denied or held a request: the rule, a stable code and a short message. */
export type PolicyReason = {
  rule: string;
  code: string;
  message: string;
  detail?: CborMap;
};

/** What each approver signs: this map with approverId and expiresAt filled in, canonically encoded. */
export type ApprovalStatementTemplate = {
  type: 'approval';
  deviceId: string;
  intentDigest: Uint8Array;
  approverId: null;
  expiresAt: null;
};

export type SignedTxAnswer = {
  status: 'signed';
  requestId: string;
  keyId: string;
  /** EIP-55 address of the key. */
  from: string;
  intentDigest: Uint8Array;
  /** The signed transaction, ready to broadcast. */
  rawTransaction: Uint8Array;
  txHash: Uint8Array;
  approvedBy: string[];
  auditSeq: number;
  /** The audit entry (COSE_Sign1) that records this signature. */
  auditEntry: Uint8Array;
};

export type SignedTypedAnswer = {
  status: 'signed';
  requestId: string;
  keyId: string;
  from: string;
  /** The EIP-712 digest the appliance computed (also its intent digest). */
  digest: Uint8Array;
  intentDigest: Uint8Array;
  /** r ‖ s ‖ v, v = 27 + yParity. */
  signature: Uint8Array;
  yParity: number;
  approvedBy: string[];
  auditSeq: number;
  auditEntry: Uint8Array;
};

export type PendingAnswer = {
  status: 'pending_approval';
  requestId: string;
  keyId: string;
  intentDigest: Uint8Array;
  required: number;
  approvedBy: string[];
  reasons: PolicyReason[];
  statement: ApprovalStatementTemplate;
  auditSeq: number;
};

export type DeniedAnswer = {
  status: 'denied';
  requestId: string;
  keyId: string;
  intentDigest: Uint8Array;
  /** Typed data only: the EIP-712 digest. */
  digest?: Uint8Array;
  reasons: PolicyReason[];
  auditSeq: number;
};

/** The key failed to sign or its signature did not verify: nothing was released (fault in the audit entry). */
export type FailedAnswer = {
  status: 'failed';
  requestId: string;
  message: string;
  fault: string;
  auditSeq: number;
};

/** The appliance stopped between the reservation and the signature's release; nothing was signed. */
export type AbortedAnswer = {
  status: 'aborted';
  requestId: string;
  message: string;
};

/** Every answer a signing request can have, `Signed` being the command's signed form. */
export type RequestAnswer<Signed extends SignedTxAnswer | SignedTypedAnswer = SignedTxAnswer | SignedTypedAnswer> = Signed | PendingAnswer | DeniedAnswer | FailedAnswer | AbortedAnswer;
