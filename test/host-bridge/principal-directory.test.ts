// The bridge's principal directory: a token's scope is worth only the policy role it stands for
// (orchestrator → requesters, approver → approvers, admin → admins, auditor → auditors), read from the
// active policy through policy.get.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { policyToCbor } from '../../firmware-policy/policy-document.js';
import { policyFromJson } from '../../host-bridge/policy-json.js';
import { PrincipalDirectory } from '../../host-bridge/principal-directory.js';
import type { Principal, Scope } from '../../host-bridge/auth.js';
import { ApplianceError } from '../../protocol/errors.js';
import { makePeople, testPolicyJson } from '../helpers/test-device.js';

const doc = policyFromJson(testPolicyJson(makePeople()), 'hsm-0000000000000000');
const directory = new PrincipalDirectory({ call: async () => ({ version: 1, document: policyToCbor(doc) }) });
const token = (id: string, scopes: Scope[]): Principal => ({ name: 't', id, scopes });
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => (e instanceof ApplianceError ? [e.code, (e.details as { code?: string } | undefined)?.code] : ['thrown', String(e)]),
  );

test('a scope passes only when the principal holds its role; the principal is seen with those scopes only', async () => {
  assert.deepEqual(await directory.allowedScopes(token('orchestrator', ['orchestrator']), ['orchestrator']), ['orchestrator']);
  assert.deepEqual(await directory.allowedScopes(token('admin-3', ['admin', 'orchestrator']), ['orchestrator', 'admin']), ['admin']);
  assert.deepEqual(await directory.allowedScopes(token('alice', ['orchestrator', 'approver']), ['orchestrator', 'approver', 'admin', 'auditor']), ['orchestrator', 'approver']);
});

test('admin or auditor scope on a requester, orchestrator scope on an admin: 403 role_not_held; a missing scope: scope_missing; an unknown id: unknown_principal', async () => {
  assert.deepEqual(await refusal(directory.allowedScopes(token('orchestrator', ['admin']), ['admin'])), ['forbidden', 'role_not_held']);
  assert.deepEqual(await refusal(directory.allowedScopes(token('orchestrator', ['auditor']), ['auditor'])), ['forbidden', 'role_not_held']);
  assert.deepEqual(await refusal(directory.allowedScopes(token('admin-3', ['admin', 'orchestrator']), ['orchestrator'])), ['forbidden', 'role_not_held']);
  assert.deepEqual(await refusal(directory.allowedScopes(token('auditor', ['auditor']), ['admin'])), ['forbidden', 'scope_missing']);
  assert.deepEqual(await refusal(directory.allowedScopes(token('mallory', ['admin']), ['admin'])), ['forbidden', 'unknown_principal']);
});

test('read again after its second; parsed again only when the policy hash changed', async () => {
  let clock = 0;
  const other = policyFromJson({ ...testPolicyJson(makePeople()), requesters: [{ id: 'someone-else' }] }, 'hsm-0000000000000000');
  let answer = { version: 1, hash: new Uint8Array(32).fill(1), document: policyToCbor(doc) };
  let calls = 0;
  const dir = new PrincipalDirectory(
    {
      call: async () => {
        calls++;
        return answer;
      },
    },
    1000,
    () => clock,
  );
  assert.deepEqual(await dir.rolesOf('orchestrator'), ['requester']);
  // Same hash: the document is taken to be the same one (this answer's other document is not parsed).
  answer = { ...answer, document: policyToCbor(other) };
  clock = 1500;
  assert.deepEqual(await dir.rolesOf('orchestrator'), ['requester']);
  assert.equal(calls, 2);
  // A new hash: read anew.
  answer = { ...answer, hash: new Uint8Array(32).fill(2) };
  clock = 3000;
  assert.deepEqual(await dir.rolesOf('orchestrator'), []);
  assert.deepEqual(await dir.rolesOf('someone-else'), ['requester']);
  assert.equal(calls, 3);
});
