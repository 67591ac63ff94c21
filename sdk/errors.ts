// The typed errors an integrator catches from the bridge client and the viem and ethers adapters, a
// closed set of kinds: the appliance denied the request (with its reasons), approvals did not arrive in
// time (with the request id to follow up), a blind message was refused by design, the appliance signed
// nothing for another reason (failed, aborted), the answer handed back is not what was asked for (the
// bridge is a host the device does not trust), the bridge answered an error, or the adapter was asked
// for something it does not carry. A denial is the appliance's decision; the adapters turn it into an
// error because viem's and ethers' signing calls have no other way to say "no".

export const SDK_ERROR_KINDS = ['denied', 'approval_timeout', 'blind_message_refused', 'not_signed', 'answer_mismatch', 'bridge_error', 'unsupported'] as const;
export type SdkErrorKind = (typeof SDK_ERROR_KINDS)[number];

/** One reason of the appliance's decision (protocol/commands/signing-answer.ts PolicyReason, as JSON). */
export interface ApplianceReason {
  rule: string;
  code: string;
  message: string;
  /** The rule in words, one sentence per code (firmware-policy/reason-texts.ts), added by the bridge; absent from bridges before it. */
  explanation?: string;
  detail?: Record<string, unknown>;
}

export class ApplianceSdkError extends Error {
  readonly kind: SdkErrorKind;
  constructor(kind: SdkErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApplianceSdkError';
    this.kind = kind;
  }
}

/** The appliance's policy denied the request: `reasons` name the rule and code of each objection. */
export class ApplianceDenied extends ApplianceSdkError {
  readonly requestId: string;
  readonly reasons: ApplianceReason[];
  readonly auditSeq: number | undefined;
  constructor(requestId: string, reasons: ApplianceReason[], auditSeq?: number) {
    const codes = reasons.map((r) => `${r.rule}/${r.code}`).join(', ') || 'no reason given';
    super('denied', `the appliance denied request ${requestId}: ${codes}`);
    this.name = 'ApplianceDenied';
    this.requestId = requestId;
    this.reasons = reasons;
    this.auditSeq = auditSeq;
  }

  /** Whether some reason carries this code (e.g. `not_whitelisted`). */
  hasCode(code: string): boolean {
    return this.reasons.some((r) => r.code === code);
  }
}

/** The request waits for approvals that did not come within the wait: it stays pending on the appliance under `requestId`. */
export class ApprovalTimeout extends ApplianceSdkError {
  readonly requestId: string;
  readonly waitedMs: number;
  constructor(requestId: string, waitedMs: number) {
    super('approval_timeout', `request ${requestId} still waits for approvals after ${waitedMs} ms; it stays pending on the appliance (GET /v1/requests/${requestId})`);
    this.name = 'ApprovalTimeout';
    this.requestId = requestId;
    this.waitedMs = waitedMs;
  }
}

/** signMessage (EIP-191 personal messages) is refused by design: the appliance signs only what its policy can read. */
export class BlindMessageRefused extends ApplianceSdkError {
  constructor() {
    super('blind_message_refused', 'the appliance does not sign blind messages: send a transaction or EIP-712 typed data its policy can judge');
    this.name = 'BlindMessageRefused';
  }
}

/** The appliance released no signature for a reason other than its policy: status failed (fault) or aborted. */
export class NotSigned extends ApplianceSdkError {
  readonly requestId: string;
  readonly status: string;
  readonly fault: string | undefined;
  constructor(requestId: string, status: string, fault?: string, message?: string) {
    super('not_signed', message ?? `request ${requestId} ended ${status}${fault ? ` (${fault})` : ''}: nothing was signed`);
    this.name = 'NotSigned';
    this.requestId = requestId;
    this.status = status;
    this.fault = fault;
  }
}

/** The signature the bridge handed back is not what was asked for (another signer, another transaction): never broadcast it. */
export class AnswerMismatch extends ApplianceSdkError {
  readonly requestId: string;
  constructor(requestId: string, what: string) {
    super('answer_mismatch', `the answer to request ${requestId} does not match the request: ${what}`);
    this.name = 'AnswerMismatch';
    this.requestId = requestId;
  }
}

/** The bridge answered an error (an RFC 9457 problem: its code, detail and details), or could not be reached (code `unavailable`, status 0). */
export class BridgeRequestError extends ApplianceSdkError {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: string, status: number, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super('bridge_error', message, options);
    this.name = 'BridgeRequestError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

/** The adapter was asked for something the bridge does not carry (an EIP-4844 or EIP-7702 transaction, a raw hash). */
export class UnsupportedRequest extends ApplianceSdkError {
  constructor(message: string) {
    super('unsupported', message);
    this.name = 'UnsupportedRequest';
  }
}
