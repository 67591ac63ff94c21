// Rule: rolling windows cap the amount and the count signed per key and asset. A window reaches back
// from the earliest plausible now, so a host clock moved forward never lets a spend expire early.
import type { AssetRules } from '../policy-document.js';
import type { Reason } from '../decision.js';
import type { StateView } from '../state-view.js';
import { earliestOf, type Now } from '../device-time.js';

export function checkVelocityWindows(rules: AssetRules, view: StateView, keyId: string, asset: string, amount: bigint, now: Now): Reason[] {
  const reasons: Reason[] = [];
  const from = earliestOf(now);
  for (const w of rules.windows) {
    const used = view.windowUsage(keyId, asset, from - w.seconds);
    if (used.amount + amount > w.maxAmount) {
      reasons.push({
        rule: 'velocity-window',
        code: 'window_amount',
        message: `amount would exceed the ${w.seconds}s rolling limit`,
        detail: { seconds: w.seconds, used: used.amount, amount, limit: w.maxAmount },
      });
    }
    if (used.count + 1 > w.maxCount) {
      reasons.push({
        rule: 'velocity-window',
        code: 'window_count',
        message: `count would exceed the ${w.seconds}s rolling limit`,
        detail: { seconds: w.seconds, used: used.count, limit: w.maxCount },
      });
    }
  }
  return reasons;
}
