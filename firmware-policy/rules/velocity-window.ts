// Rule: rolling windows cap the amount and the count signed per key and asset.
import type { AssetRules } from '../policy-document.js';
import type { Reason } from '../decision.js';
import type { StateView } from '../state-view.js';

export function checkVelocityWindows(rules: AssetRules, view: StateView, keyId: string, asset: string, amount: bigint, now: number): Reason[] {
  const reasons: Reason[] = [];
  for (const w of rules.windows) {
    const used = view.windowUsage(keyId, asset, now - w.seconds);
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
