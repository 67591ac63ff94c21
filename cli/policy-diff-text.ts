// `hsmctl policy diff` as text: one line per change, in the order firmware-policy/policy-change.ts
// gives (stable: document field order, keys sorted), "+" added, "-" removed, "~" changed, with the
// values as the policy states them (amounts in the asset's base unit, as decimal strings) and whether
// the change only tightens. Also the diff of two local policy JSON files, computed with the same code.
import { diffPolicies } from '../firmware-policy/policy-change.js';
import { policyFromJson, readPolicyJson } from '../host-bridge/policy-json.js';

/** One change, as the appliance lists it (protocol/commands/policy-proposal-view.ts) or diffPolicies gives it. */
export interface DiffRow {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: string;
  after?: string;
  stricter: boolean;
  note?: string;
}

/** The lines of a diff; "no changes" when there are none. */
export function diffLines(changes: DiffRow[]): string[] {
  if (changes.length === 0) return ['  (no changes)'];
  return changes.map((c) => {
    const what = c.kind === 'added' ? `+ ${c.path} = ${c.after ?? ''}` : c.kind === 'removed' ? `- ${c.path} (was ${c.before ?? ''})` : `~ ${c.path}: ${c.before ?? ''} -> ${c.after ?? ''}`;
    return `  ${what}   [${c.stricter ? 'stricter' : 'looser'}${c.note ? `: ${c.note}` : ''}]`;
  });
}

/** The changes from one local policy JSON file to another (both read as the policy of the same device). */
export function localPolicyDiff(fromFile: string, toFile: string): DiffRow[] {
  const from = policyFromJson(readPolicyJson(fromFile), 'local');
  const to = policyFromJson(readPolicyJson(toFile), 'local');
  return diffPolicies(from, to).map((c) => ({ ...c }));
}
