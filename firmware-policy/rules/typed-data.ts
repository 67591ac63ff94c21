// EIP-712 signing (DESIGN.md: the signer checks what it signs). Deny by default: the domain's chainId
// and verifyingContract must be allowlisted for the key group, the chain must be one of the group's
// chains, and the primary type must be one the firmware decodes or one the policy allowlists for that
// domain by its exact type hash.
// - Permit (EIP-2612) and Permit2 AllowanceTransfer (PermitSingle, PermitBatch) grant an allowance,
//   judged like approve (rules/typed-grant.ts): whitelisted spender, approval cap and outstanding
//   allowance cap, the token's windows (reserved) and approval tiers; one token per signature.
// - EIP-3009 Transfer/ReceiveWithAuthorization is judged as a transfer (rules/typed-transfer.ts).
// - Permit2 SignatureTransfer (PermitTransferFrom, the batch and witness forms) is a one-time transfer
//   to the spender, judged as one (rules/permit2-transfer.ts).
// - A Safe transaction (SafeTx) is judged by the group's list of Safes and its inner call, as a
//   transaction of the group (rules/safe-tx.ts), not by the typed-data domain list.
// - Any other primary type ('other': not understood, never "harmless") is signed only if the domain's
//   entry lists its type hash; it moves nothing the firmware can count.
import { equalBytes } from '../../protocol/bytes.js';
import type { Decision, Reason } from '../decision.js';
import { groupOf, type PolicyDocument } from '../policy-document.js';
import type { StateView } from '../state-view.js';
import type { TypedDomainFacts, TypedIntent } from '../evm/eip712.js';
import type { Approval } from '../approvals/statement.js';
import type { Now } from '../device-time.js';
import { MAX_UINT256 } from '../evm/erc20-calldata.js';
import { checkTypedGrant, MAX_UINT160 } from './typed-grant.js';
import { checkTypedTransfer } from './typed-transfer.js';
import { checkPermit2Transfer, isPermit2SignatureTransfer } from './permit2-transfer.js';
import { checkChainAllowlist } from './chain-allowlist.js';
import { checkSafeTx } from './safe-tx.js';
import { requesterReasons, type RequestAuth } from '../request-stamp.js';

const hex = (b: Uint8Array) => '0x' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

export interface TypedEvaluationRequest {
  keyGroup: string;
  keyId: string;
  /** The signing key's own address. */
  keyAddress: Uint8Array;
  /** Authenticated principal that asked; it may not approve its own request. */
  requester: string;
  /** A new request's stamp and what it covers (request-stamp.ts); absent when judged again for approvals. */
  requestAuth?: RequestAuth;
  /** The EIP-712 signing digest (what approvals name). */
  digest: Uint8Array;
  primaryType: string;
  /** keccak256(encodeType(primaryType)). */
  typeHash: Uint8Array;
  facts: TypedDomainFacts;
  intent: TypedIntent;
}

export function evaluateTypedData(policy: PolicyDocument, view: StateView, req: TypedEvaluationRequest, approvals: readonly Approval[], now: Now): Decision {
  const tally = { required: 0, counted: [], rejected: [] };
  const deny = (reasons: Reason[]): Decision => ({ outcome: 'deny', reasons, approvals: tally });
  const who = requesterReasons(policy, req.requester, req.keyGroup, req.requestAuth, now).reasons;
  if (who.length > 0) return deny(who);
  const group = groupOf(policy, req.keyGroup);
  if (!group) return deny([{ rule: 'key-group', code: 'unknown_key_group', message: 'the key group is not in the active policy' }]);
  if (group.sweepTo !== undefined) return deny([{ rule: 'sweep', code: 'sweep_only', message: 'a sweep group signs transfers to its sweep address only, never typed data' }]);
  const { chainId, verifyingContract } = req.facts;
  const ctx = { policy, group, keyGroup: req.keyGroup, keyId: req.keyId, keyAddress: req.keyAddress, requester: req.requester, digest: req.digest };
  // A Safe transaction is judged by the group's Safes and its inner call (rules/safe-tx.ts), whatever typedData lists.
  if (req.intent.kind === 'safe-tx') return checkSafeTx(ctx, view, chainId, req.intent, approvals, now);
  const domain = chainId !== null && verifyingContract !== null ? (group.typedData ?? []).find((d) => d.chainId === chainId && equalBytes(d.verifyingContract, verifyingContract)) : undefined;
  if (!domain || chainId === null || verifyingContract === null) {
    return deny([{ rule: 'typed-data', code: 'typed_domain_not_allowed', message: 'the typed-data domain (chainId and verifyingContract) is not allowlisted for this key group' }]);
  }
  // The domain's chain must be one the group signs for, whatever the primary type.
  const chain = checkChainAllowlist(group, chainId);
  if (chain.length > 0) return deny(chain);
  const intent = req.intent;
  if (intent.kind === 'eip3009') {
    return checkTypedTransfer(ctx, view, { chainId, token: intent.token ?? verifyingContract, from: intent.from, to: intent.to, value: intent.value }, approvals, now);
  }
  if (intent.kind === 'permit2' && isPermit2SignatureTransfer(intent.variant)) {
    return checkPermit2Transfer(ctx, domain, view, { chainId, variant: intent.variant, typeHash: req.typeHash, spender: intent.spender, tokens: intent.tokens }, approvals, now);
  }
  if (intent.kind === 'other') {
    if ((domain.typeHashes ?? []).some((h) => equalBytes(h, req.typeHash))) return { outcome: 'allow', reasons: [], approvals: tally };
    return deny([
      {
        rule: 'typed-data',
        code: 'typed_type_not_allowed',
        message: 'the firmware does not decode this primary type and the policy does not allowlist its type hash for this domain',
        detail: { primaryType: req.primaryType, typeHash: hex(req.typeHash) },
      },
    ]);
  }
  // Permit (EIP-2612, DAI) and Permit2 AllowanceTransfer grant an allowance (rules/typed-grant.ts).
  if (intent.kind === 'permit') {
    return checkTypedGrant(
      ctx,
      view,
      { chainId, owner: intent.owner, spender: intent.spender, tokens: [{ token: intent.token ?? verifyingContract, amount: intent.value }], unlimited: MAX_UINT256 },
      approvals,
      now,
    );
  }
  return checkTypedGrant(ctx, view, { chainId, owner: null, spender: intent.spender, tokens: intent.tokens, unlimited: MAX_UINT160 }, approvals, now);
}
