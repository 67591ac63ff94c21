// policy.diff (protocol/commands/policy-diff.ts): what an activated policy version changes against
// another activated version, listed and as markdown.
import type { PolicyDiffArgs, PolicyDiffResult } from '../../protocol/commands/policy-diff.js';
import { ApplianceError } from '../../protocol/errors.js';
import { MAX_LISTED_CHANGES } from '../../protocol/limits.js';
import { isStrictlyTighter, renderDiff } from '../../firmware-policy/policy-change.js';
import type { Device } from '../device.js';
import { listedChanges } from '../policy-proposal-view.js';

export async function policyDiff(dev: Device, { version, against }: PolicyDiffArgs): Promise<PolicyDiffResult> {
  const target = dev.policies.version(version);
  if (!target) throw new ApplianceError('not_found', `no activated policy version ${version}`);
  const base = dev.policies.version(against);
  if (!base) throw new ApplianceError('not_found', `no activated policy version ${against}`);
  return { version, against, stricter: isStrictlyTighter(base.doc, target.doc), ...listedChanges(base.doc, target.doc), markdown: renderDiff(base.doc, target.doc, MAX_LISTED_CHANGES) };
}
