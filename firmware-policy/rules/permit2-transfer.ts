// Rule: a Permit2 SignatureTransfer (PermitTransferFrom, PermitBatchTransferFrom and their witness
// forms) is a one-time transfer, not an allowance: the spender calls permitTransferFrom at once and
// sends the tokens wherever it chooses. The signer never sees the final recipient, so the spender is
// the party the funds are handed to, and it is judged as the recipient of a transfer of the token
// (rules/typed-transfer.ts): a whitelisted spender (after its hold), the per-transaction limit, the
// token's rolling windows (which the signature then uses up: the decision reserves it) and the
// approval tiers, on the full permitted amount (the spender may take up to it).
// - A batch's amounts are summed per token (a token repeated in the batch counts every time). One
//   signature reserves one asset, so a batch of more than one token is refused (typed_batch_tokens).
// - A witness form binds extra data the firmware does not read (an order, a recipient of the
//   spender's protocol): it is signed only if the domain's entry lists its exact type hash, and is then
//   judged as a transfer like the plain form.
import { equalBytes } from '../../protocol/bytes.js';
import type { Decision, Reason } from '../decision.js';
import type { AllowedTypedDomain } from '../policy-document.js';
import type { StateView } from '../state-view.js';
import type { Permit2Variant } from '../evm/eip712.js';
import type { Approval } from '../approvals/statement.js';
import { checkTypedTransfer, type TypedTransferContext } from './typed-transfer.js';

const SIGNATURE_TRANSFER: ReadonlySet<Permit2Variant> = new Set(['PermitTransferFrom', 'PermitBatchTransferFrom', 'PermitWitnessTransferFrom', 'PermitBatchWitnessTransferFrom']);
const WITNESS: ReadonlySet<Permit2Variant> = new Set(['PermitWitnessTransferFrom', 'PermitBatchWitnessTransferFrom']);

const hex = (b: Uint8Array) => '0x' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const noTally = (): Decision['approvals'] => ({ required: 0, counted: [], rejected: [] });

/** True for the Permit2 forms that move tokens once (SignatureTransfer), false for allowance grants. */
export function isPermit2SignatureTransfer(variant: Permit2Variant): boolean {
  return SIGNATURE_TRANSFER.has(variant);
}

export interface Permit2Transfer {
  chainId: bigint;
  variant: Permit2Variant;
  /** keccak256(encodeType(primaryType)): for a witness form it covers the witness type. */
  typeHash: Uint8Array;
  spender: Uint8Array;
  tokens: readonly { token: Uint8Array; amount: bigint }[];
}

/** The time checkTypedTransfer takes, whatever its form (a number, or the device's time bounds). */
type TransferNow = Parameters<typeof checkTypedTransfer>[4];

export function checkPermit2Transfer(ctx: TypedTransferContext, domain: AllowedTypedDomain, view: StateView, t: Permit2Transfer, approvals: readonly Approval[], now: TransferNow): Decision {
  const deny = (reason: Reason): Decision => ({ outcome: 'deny', reasons: [reason], approvals: noTally() });
  if (WITNESS.has(t.variant) && !(domain.typeHashes ?? []).some((h) => equalBytes(h, t.typeHash))) {
    return deny({
      rule: 'typed-data',
      code: 'typed_type_not_allowed',
      message: 'a Permit2 witness transfer binds data the firmware does not read; its exact type hash must be allowlisted for this domain',
      detail: { primaryType: t.variant, typeHash: hex(t.typeHash) },
    });
  }
  const totals: { token: Uint8Array; amount: bigint }[] = [];
  for (const { token, amount } of t.tokens) {
    const seen = totals.find((x) => equalBytes(x.token, token));
    if (seen) seen.amount += amount;
    else totals.push({ token, amount });
  }
  const only = totals[0];
  if (totals.length !== 1 || only === undefined) {
    return deny({
      rule: 'typed-data',
      code: 'typed_batch_tokens',
      message: 'a Permit2 transfer signature must move exactly one token (one signature reserves one asset)',
      detail: { tokens: totals.length },
    });
  }
  // The owner of a SignatureTransfer is whoever signs it: the signing key.
  return checkTypedTransfer(ctx, view, { chainId: t.chainId, token: only.token, from: ctx.keyAddress, to: t.spender, value: only.amount }, approvals, now);
}
