// Rule: rolling windows cap the amount and the count signed per key and asset. A window reaches back
// from the earliest plausible now, so a host clock moved forward never lets a spend expire early.
import type { AssetRules } from '../policy-document.js';
import type { Reason } from '../decision.js';
import type { StateView, WindowUsage } from '../state-view.js';
import { earliestOf, type Now } from '../device-time.js';

export function checkVelocityWindows(rules: AssetRules, view: StateView, keyId: string, asset: string, amount: bigint, now: Now): Reason[] {
  const reasons: Reason[] = [];
  if (rules.windows.length === 0) return reasons;
  const from = earliestOf(now);
  const used = usagesOf(
    view,
    keyId,
    asset,
    rules.windows.map((w) => from - w.seconds),
  );
  for (const [i, w] of rules.windows.entries()) {
    const u = used[i]!;
    if (u.amount + amount > w.maxAmount) {
      reasons.push({
        rule: 'velocity-window',
        code: 'window_amount',
        message: `amount would exceed the ${w.seconds}s rolling limit`,
        detail: { seconds: w.seconds, used: u.amount, amount, limit: w.maxAmount },
      });
    }
    if (u.count + 1 > w.maxCount) {
      reasons.push({
        rule: 'velocity-window',
        code: 'window_count',
        message: `count would exceed the ${w.seconds}s rolling limit`,
        detail: { seconds: w.seconds, used: u.count, limit: w.maxCount },
      });
    }
  }
  return reasons;
}

/** The usage of each window since `sinces[i]`: at once when the view can, else window by window (the same questions, in the same order). */
export function usagesOf(view: StateView, keyId: string, asset: string, sinces: readonly number[]): WindowUsage[] {
  if (view.windowUsages) return view.windowUsages(keyId, asset, sinces);
  return sinces.map((since) => view.windowUsage(keyId, asset, since));
}
