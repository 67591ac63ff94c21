// `make run`'s demo (cli/demo.ts): every demo token is bound to a principal of the demo policy that
// holds the role its scope is for (issue 11 item 8), so the README's guide works as written; the demo
// group requires signed requests and the orchestrator is listed with its request key (issue 12 item 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_TOKENS, demoPolicyJson } from '../../cli/demo.js';
import { generateApproverKey, publicPart } from '../../cli/approver-key.js';
import { policyFromJson } from '../../host-bridge/policy-json.js';
import { rolesOf } from '../../firmware-policy/principals.js';
import { p256 } from '@noble/curves/nist.js';

const orchestratorKey = { id: 'orchestrator', alg: 'ES256' as const, publicKey: `0x${Buffer.from(p256.getPublicKey(p256.keygen().secretKey, false)).toString('hex')}` };

test('each demo token names a principal of the demo policy with the role of its main scope', () => {
  const admins = ['admin-1', 'admin-2', 'admin-3'].map((id) => publicPart(generateApproverKey(id, 'ES256')));
  const approvers = ['alice', 'bob', 'carol'].map((id) => publicPart(generateApproverKey(id, 'EdDSA')));
  const doc = policyFromJson(demoPolicyJson(admins, approvers, 300, orchestratorKey), 'demo-dev');
  const role = { orchestrator: 'requester', admin: 'admin', approver: 'approver', auditor: 'auditor' } as const;
  for (const [name, scopes, principal] of DEMO_TOKENS) {
    assert.ok(rolesOf(doc, principal).includes(role[scopes[0]!]), `${name} → ${principal} lacks role ${role[scopes[0]!]}`);
  }
});

test('the demo policy requires signed requests in every group and lists the orchestrator with its request key', () => {
  const admins = ['admin-1', 'admin-2', 'admin-3'].map((id) => publicPart(generateApproverKey(id, 'ES256')));
  const approvers = ['alice', 'bob'].map((id) => publicPart(generateApproverKey(id, 'EdDSA')));
  const doc = policyFromJson(demoPolicyJson(admins, approvers, 300, orchestratorKey), 'demo-dev');
  for (const [name, g] of Object.entries(doc.groups)) assert.equal(g.requireSignedRequests, true, name);
  const orch = doc.requesters?.find((r) => r.id === 'orchestrator');
  assert.equal(orch?.alg, 'ES256');
  assert.equal(Buffer.from(orch!.publicKey!).toString('hex'), orchestratorKey.publicKey.slice(2));
  assert.deepEqual(orch?.groups, ['hot']);
});
