// Rule: the recipient must be on the group's whitelist, and its hold must have passed at the
// earliest plausible now (a host clock moved forward never ends a hold early).
import type { GroupPolicy } from '../policy-document.js';
import type { Reason } from '../decision.js';
import type { StateView } from '../state-view.js';
import { earliestOf, type Now } from '../device-time.js';

export function checkWhitelist(group: GroupPolicy, groupName: string, view: StateView, chainId: bigint, to: Uint8Array, now: Now): Reason[] {
  if (!group.whitelistRequired) return [];
  const entry = view.whitelistEntry(groupName, chainId, to);
  if (!entry) return [{ rule: 'whitelist', code: 'not_whitelisted', message: 'recipient is not on the whitelist', detail: { to } }];
  if (entry.activeAt > earliestOf(now)) {
    return [{ rule: 'whitelist', code: 'whitelist_hold', message: 'recipient is on the whitelist but still in its hold', detail: { to, activeAt: entry.activeAt } }];
  }
  return [];
}
