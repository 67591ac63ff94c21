// EIP-1559 fees for an attempt: a starting offer from eth_feeHistory (a recent base fee with headroom
// and a percentile of the tips paid), every bump at least 10% above the last offer on both fees
// (what nodes require of a replacement at the same nonce), and a cap from the appliance's policy
// (gas limit × max fee per gas may not exceed the chain's fee cap), so the orchestrator never asks for
// a fee the firmware would refuse. When a bump would cross the cap, the caller sends it to an operator.

export interface FeeOffer {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

export interface FeeHistory {
  /** Base fee per gas of the recent blocks, and of the next one (last). */
  baseFeePerGas: bigint[];
  /** Per block, the tips at the requested percentiles (one percentile asked). */
  reward?: bigint[][];
}

/** The most an attempt may offer: the policy's worst-case fee for the chain over the gas limit. */
export interface FeeCap {
  gasLimit: bigint;
  maxFeeWei: bigint;
}

export function maxFeePerGasUnder(cap: FeeCap): bigint {
  if (cap.gasLimit <= 0n) throw new RangeError('gas limit must be positive');
  return cap.maxFeeWei / cap.gasLimit;
}

/** The first offer: twice the next base fee plus the median recent tip (at least 1 wei of tip). */
export function initialOffer(h: FeeHistory, minTip = 1n): FeeOffer {
  const next = h.baseFeePerGas[h.baseFeePerGas.length - 1];
  if (next === undefined) throw new RangeError('fee history has no base fee');
  const tips = (h.reward ?? []).map((r) => r[0] ?? 0n).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const median = tips.length === 0 ? 0n : tips[Math.floor(tips.length / 2)]!;
  const tip = median > minTip ? median : minTip;
  return { maxFeePerGas: 2n * next + tip, maxPriorityFeePerGas: tip };
}

/** At least 10% more on each fee, rounded up, and at least one wei more. */
export function bumpOffer(last: FeeOffer): FeeOffer {
  const up = (x: bigint) => {
    const b = (x * 110n + 99n) / 100n;
    return b > x ? b : x + 1n;
  };
  return { maxFeePerGas: up(last.maxFeePerGas), maxPriorityFeePerGas: up(last.maxPriorityFeePerGas) };
}

/** Whether a replacement's offer is one a node accepts over `last` (both fees ≥ 110%). */
export function isValidBump(last: FeeOffer, next: FeeOffer): boolean {
  return next.maxFeePerGas * 100n >= last.maxFeePerGas * 110n && next.maxPriorityFeePerGas * 100n >= last.maxPriorityFeePerGas * 110n;
}

/** The offer, or null when it is above the cap (the tip never above the max fee). */
export function withinCap(offer: FeeOffer, cap: FeeCap): FeeOffer | null {
  if (offer.maxPriorityFeePerGas > offer.maxFeePerGas) return null;
  return offer.maxFeePerGas <= maxFeePerGasUnder(cap) ? offer : null;
}
