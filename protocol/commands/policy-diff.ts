// policy.diff: what an activated policy version changes against another activated version (the one
// before it by default): the listed changes, whether it only tightens, and the changes as markdown.
import { onlyKeys, optUint, uint } from '../args.js';
import { defineCommand } from './command.js';
import type { ListedPolicyChanges } from './policy-proposal-view.js';

export interface PolicyDiffArgs {
  version: number;
  /** `version - 1` when left out. */
  against: number;
}

export type PolicyDiffParams = { version: number; against?: number };

export type PolicyDiffResult = ListedPolicyChanges & {
  version: number;
  against: number;
  /** `version` only tightens `against`. */
  stricter: boolean;
  /** The listed changes as a markdown table. */
  markdown: string;
};

export const policyDiff = defineCommand<PolicyDiffParams, PolicyDiffResult, PolicyDiffArgs>()({
  name: 'policy.diff',
  summary: 'What an activated policy version changes against another (by default the one before it).',
  changesState: false,
  errors: ['not_found'],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['version', 'against']);
    const version = uint(m, 'version');
    return { version, against: optUint(m, 'against', version - 1) };
  },
});
