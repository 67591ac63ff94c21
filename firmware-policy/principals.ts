// Who the active policy knows, in one namespace: admins, approvers, requesters and auditors are all
// named by id, and an id names one principal whatever its roles. The bridge binds each of its tokens
// to one id; the appliance checks here that the id a command names as its requester holds the role the
// command needs (issue 11 item 8). Pure: the policy document in, an answer out.
import type { Reason } from './decision.js';
import type { PolicyDocument } from './policy-document.js';

export type PrincipalRole = 'admin' | 'approver' | 'requester' | 'auditor';

/** The roles `id` holds in `policy` (empty when the policy does not know it). */
export function rolesOf(policy: PolicyDocument, id: string): PrincipalRole[] {
  const roles: PrincipalRole[] = [];
  if (policy.admins.some((p) => p.id === id)) roles.push('admin');
  if (policy.approvers.some((p) => p.id === id)) roles.push('approver');
  if ((policy.requesters ?? []).some((p) => p.id === id)) roles.push('requester');
  if ((policy.auditors ?? []).some((p) => p.id === id)) roles.push('auditor');
  return roles;
}

/** Every principal id of the policy with its roles, sorted by id (what `principal.list` answers). */
export function principalDirectory(policy: PolicyDocument): { id: string; roles: PrincipalRole[] }[] {
  const ids = new Set<string>();
  for (const list of [policy.admins, policy.approvers, policy.requesters ?? [], policy.auditors ?? []]) for (const p of list) ids.add(p.id);
  return [...ids].sort().map((id) => ({ id, roles: rolesOf(policy, id) }));
}

/**
 * The reason to refuse a command whose requester is `id`, or none: the id must be a principal of the
 * active policy holding `role` (a requester to ask for a signature, an admin to propose a change).
 */
export function checkRequester(policy: PolicyDocument, id: string, role: 'requester' | 'admin'): Reason[] {
  const roles = rolesOf(policy, id);
  if (roles.length === 0) {
    return [{ rule: 'requester', code: 'unknown_principal', message: `"${id}" is not a principal of the active policy`, detail: { requester: id, role } }];
  }
  if (!roles.includes(role)) {
    return [
      { rule: 'requester', code: 'requester_not_allowed', message: `principal "${id}" is not ${role === 'admin' ? 'an admin' : 'a requester'} in the active policy`, detail: { requester: id, role } },
    ];
  }
  return [];
}
