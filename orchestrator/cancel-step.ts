// The worker's half of cancelling a sent withdrawal (cancel.ts records the request): one cancel attempt
// at the withdrawal's nonce, 0 to the hot address itself with no data, both fees at least 10% above the
// highest offer made at that nonce and within the policy's fee cap, so the appliance's nonce-conflict
// guard takes it as a cancel (its only other acceptable signature at a used nonce is a fee bump of the
// same transfer). tracking (chain-steps.ts) then signs and sends it like any attempt, and bumps it if it
// expires; the chain decides which of the two lands.
import { attemptsOf, createAttempt, type Attempt } from './attempt-store.js';
import { bumpOffer, withinCap, type FeeOffer } from './fees.js';
import { chainOf, type Runtime } from './runtime.js';
import { moveWithdrawal, type Withdrawal } from './withdrawal-store.js';

const maxOf = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** The highest fees offered at the nonce so far (each field on its own). */
export function highestOffer(attempts: readonly Pick<Attempt, 'maxFeePerGas' | 'maxPriorityFeePerGas'>[]): FeeOffer {
  return attempts.reduce<FeeOffer>((m, a) => ({ maxFeePerGas: maxOf(m.maxFeePerGas, a.maxFeePerGas ?? 0n), maxPriorityFeePerGas: maxOf(m.maxPriorityFeePerGas, a.maxPriorityFeePerGas ?? 0n) }), {
    maxFeePerGas: 0n,
    maxPriorityFeePerGas: 0n,
  });
}

/**
 * Makes the cancel attempt of a withdrawal whose cancel was asked for, once: returns it, or null when
 * it already exists or the withdrawal has no attempt yet; a cancel above the fee cap sends the
 * withdrawal to an operator instead (and returns null).
 */
export async function makeCancelAttempt(rt: Runtime, w: Withdrawal, requestedBy: string): Promise<Attempt | null> {
  const c = chainOf(rt, w.chainId);
  return rt.db.transaction(async (tx) => {
    const attempts = await attemptsOf(tx, w.id);
    const first = attempts[0];
    if (first === undefined || attempts.some((a) => a.kind === 'cancel')) return null;
    const gasLimit = c.gasLimits.native;
    const offer = withinCap(bumpOffer(highestOffer(attempts)), { gasLimit, maxFeeWei: c.feeCap.maxFeeWei });
    if (offer === null) {
      await moveWithdrawal(tx, w.id, 'operator', 'attempt_exception', { actor: rt.actor, detail: { exception: 'cancel', reason: 'a cancel would cross the policy fee cap', requestedBy } });
      return null;
    }
    return createAttempt(tx, { withdrawalId: w.id, chainId: w.chainId, from: first.from, nonce: first.nonce, kind: 'cancel', ...offer, gasLimit, actor: rt.actor });
  });
}
