// Rule: never two different intents for the same (key, chain, nonce) (DESIGN.md invariant 6), the
// EVM form of Web3Signer's slashing protection. At a nonce already signed, only two re-signs pass:
// - a fee bump: the same intent, every fee field raised by at least 10% (what nodes require to
//   replace a pending transaction); it is not counted again against limits and keeps its approvals;
// - a cancel: to the key's own address, value 0, no data, fees raised by at least 10%; it needs no
//   approvals, and the original's spend stays counted (either may be mined).
import { equalBytes } from '../../protocol/bytes.js';
import type { Reason } from '../decision.js';
import type { TransferIntent } from '../intent.js';
import type { NonceRecordView, StateView } from '../state-view.js';

export type NonceMode = 'first' | 'bump' | 'cancel';

/** At least 10% more, in integers: 10·new ≥ 11·old. */
const bumped = (now: bigint, before: bigint) => now * 10n >= before * 11n;

export function isCancel(intent: TransferIntent, keyAddress: Uint8Array | undefined): boolean {
  return keyAddress !== undefined && intent.to !== null && equalBytes(intent.to, keyAddress) && intent.amount === 0n && intent.data.length === 0;
}

/** `digest` gives the intent's digest; it is asked for only when something was signed at the nonce. */
export function checkNonce(view: StateView, intent: TransferIntent, digest: () => Uint8Array, keyAddress: Uint8Array | undefined): { mode: NonceMode; record?: NonceRecordView; reasons: Reason[] } {
  const record = view.nonceRecord?.(intent.keyId, intent.chainId, intent.nonce);
  if (!record) return { mode: 'first', reasons: [] };
  // Unknown fees (-1) never count as raised.
  const feesRaised = bumped(intent.maxFeePerGas ?? -1n, record.maxFeePerGas) && bumped(intent.maxPriorityFeePerGas ?? -1n, record.maxPriorityFeePerGas);
  const detail = { nonce: intent.nonce, signedIntent: record.intentDigest };
  if (isCancel(intent, keyAddress)) {
    if (feesRaised) return { mode: 'cancel', record, reasons: [] };
    return { mode: 'cancel', record, reasons: [{ rule: 'nonce-guard', code: 'fee_bump_too_small', message: 'a cancel must raise every fee field by at least 10%', detail }] };
  }
  if (record.cancelled || !equalBytes(record.intentDigest, digest())) {
    return { mode: 'first', record, reasons: [{ rule: 'nonce-guard', code: 'nonce_conflict', message: 'another intent was already signed at this nonce', detail }] };
  }
  if (!feesRaised) {
    return { mode: 'bump', record, reasons: [{ rule: 'nonce-guard', code: 'fee_bump_too_small', message: 'a re-sign of the same intent must raise every fee field by at least 10%', detail }] };
  }
  return { mode: 'bump', record, reasons: [] };
}
