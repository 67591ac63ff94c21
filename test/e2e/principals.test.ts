// Issue 11 item 8, through the real bridge, appliance process and SoftHSM2 token: who asked is a
// policy principal, not the bridge's word. Every bridge token is bound to a principal id; the bridge
// refuses a token whose id the active policy does not know; the appliance refuses (audited) a command
// whose requester is not a principal with the role it needs; and because tokens, requesters, admins
// and approvers share one namespace, "the requester may not approve" and "the proposer may not
// approve" bind.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { signStatement, type ApproverKeyFile } from '../../cli/approver-key.js';
import { addToken, readTokens, TokenVerifier } from '../../host-bridge/auth.js';
import { createApp } from '../../host-bridge/app.js';
import { encodeWhitelistStatement } from '../../firmware-policy/whitelist-governance.js';
import { encodePolicyChangeStatement } from '../../firmware-policy/policy-governance.js';
import { ApplianceError } from '../../protocol/errors.js';
import { approvalBody, CHAIN_ID, ETH, startTestDevice, testPolicyJson, whitelist, type TestDevice } from '../helpers/test-device.js';
import { problemFields, problemOf } from '../helpers/problem.js';

let dev: TestDevice;
const recipient = privateKeyToAccount(generatePrivateKey()).address;
let n = 0;

const person = (list: ApproverKeyFile[], id: string) => list.find((p) => p.id === id)!;
const tx = (value: bigint, nonce = n) => ({
  type: 'eip1559',
  chainId: CHAIN_ID,
  nonce,
  to: recipient,
  value: value.toString(),
  gasLimit: 21000,
  maxFeePerGas: '2000000000',
  maxPriorityFeePerGas: '1',
});
const headSeq = async () => Number((await dev.client.call('audit.list', { limit: 1 })).headSeq);
async function auditAt(seq: number): Promise<Record<string, unknown>> {
  const page = await dev.request('GET', `/v1/audit?fromSeq=${seq}&limit=1`, dev.tokens.auditor);
  return ((page.json.entries as { payload: Record<string, unknown> }[])[0]?.payload ?? {}) as Record<string, unknown>;
}

describe('principals: tokens bound to policy ids, roles checked by the appliance, one namespace', () => {
  before(async () => {
    dev = await startTestDevice({ policy: (p) => ({ ...testPolicyJson(p, { holdSeconds: 0 }), changeDelaySeconds: 1 }) });
    await whitelist(dev, recipient);
  });
  after(async () => {
    await dev?.stop();
  });

  test('a token bound to a principal the active policy does not know is refused by the bridge; nothing reaches the log', async () => {
    const stale = addToken(dev.paths.bridgeTokens, 'orchestrator-old', ['orchestrator', 'auditor'], 'orchestrator-v1');
    const app = createApp({ appliance: dev.client, tokens: new TokenVerifier(readTokens(dev.paths.bridgeTokens)) });
    const before = await headSeq();
    for (const [method, path, body] of [
      ['POST', '/v1/sign/evm-transaction', { keyId: String(dev.keys[0]?.keyId), transaction: tx(ETH / 10n) }],
      ['GET', '/v1/audit?limit=1', undefined],
    ] as const) {
      const res = await app.request(path, {
        method,
        headers: { Authorization: `Bearer ${stale}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'stale-1' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const error = problemOf(await res.json()) as { code: string; details: { code: string; principal: string } };
      assert.equal(res.status, 403, path);
      assert.deepEqual([error.code, error.details.code, error.details.principal], ['forbidden', 'unknown_principal', 'orchestrator-v1']);
    }
    assert.equal(await headSeq(), before, 'the appliance saw nothing');
  });

  test('a compromised bridge naming an unknown requester, or an admin as requester, is denied by the appliance and audited', async () => {
    for (const [requester, code] of [
      ['mallory', 'unknown_principal'],
      ['admin-1', 'requester_not_allowed'],
    ] as const) {
      const res = await dev.client.call('sign.evm-tx', {
        requestId: `forged-${requester}`,
        requester,
        keyId: String(dev.keys[0]?.keyId),
        tx: {
          type: 'eip1559',
          chainId: BigInt(CHAIN_ID),
          nonce: 0n,
          to: Buffer.from(recipient.slice(2), 'hex'),
          value: ETH / 10n,
          gasLimit: 21000n,
          maxFeePerGas: 2_000_000_000n,
          maxPriorityFeePerGas: 1n,
        },
      });
      assert.equal(res.status, 'denied');
      assert.deepEqual(
        (res.reasons as { rule: string; code: string }[]).map((r) => [r.rule, r.code]),
        [['requester', code]],
      );
      assert.equal(res.signature, undefined);
      const entry = await auditAt(Number(res.auditSeq));
      assert.deepEqual([entry.kind, entry.requester, entry.outcome], ['sign.evm-tx', requester, 'deny']);
    }
  });

  test('only an admin principal may propose a whitelist entry or a policy change, or remove an address (audited refusal)', async () => {
    const cases = [
      ['whitelist.propose', { requester: 'orchestrator', group: 'hot', chainId: BigInt(CHAIN_ID), address: new Uint8Array(20).fill(7) }],
      ['policy.propose', { requester: 'alice', document: new Uint8Array([0xa0]) }],
      ['whitelist.remove', { requester: 'ops-admin', chainId: BigInt(CHAIN_ID), address: Buffer.from(recipient.slice(2), 'hex') }],
    ] as const;
    for (const [cmd, args] of cases) {
      const err = await dev.client.call(cmd, { ...args }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ApplianceError && err.code === 'denied', `${cmd}: ${String(err)}`);
      const details = err.details as { rule: string; code: string; auditSeq: number };
      assert.equal(details.rule, 'requester');
      assert.equal(details.code, args.requester === 'ops-admin' ? 'unknown_principal' : 'requester_not_allowed');
      const entry = await auditAt(details.auditSeq);
      assert.deepEqual([entry.kind, entry.outcome, entry.requester], [cmd, 'rejected', args.requester]);
    }
    const list = await dev.request('GET', '/v1/whitelist', dev.tokens.orchestrator);
    assert.equal((list.json.entries as unknown[]).length, 1, 'nothing was added or removed');
  });

  test('the proposer may not approve: the admin token is admin-3, so admin-3 cannot approve its own whitelist proposal', async () => {
    const address = privateKeyToAccount(generatePrivateKey()).address;
    const proposed = await dev.request('POST', '/v1/whitelist/proposals', dev.tokens.admin, { group: 'hot', chainId: CHAIN_ID, address, label: 'self' });
    assert.equal(proposed.status, 201, JSON.stringify(proposed.json));
    assert.equal(proposed.json.proposedBy, 'admin-3', 'the appliance sees the principal id, not the token name');
    const id = String(proposed.json.proposalId);
    const admin3 = person(dev.people.admins, 'admin-3');
    const expiresAt = Math.floor(Date.now() / 1000) + 600;
    const statement = encodeWhitelistStatement(
      dev.deviceId,
      { id, group: 'hot', chainId: BigInt(CHAIN_ID), address: Buffer.from(address.slice(2), 'hex'), label: 'self', proposedBy: '' },
      admin3.id,
      expiresAt,
    );
    const r = await dev.request('POST', `/v1/whitelist/proposals/${id}/approvals`, dev.tokens.admin, {
      adminId: admin3.id,
      expiresAt,
      signature: '0x' + Buffer.from(signStatement(admin3, statement)).toString('hex'),
    });
    assert.equal(r.status, 403, JSON.stringify(r.json));
    const details = (problemFields(r.json) as { details: Record<string, unknown> }).details;
    assert.deepEqual({ approverId: details.approverId, why: details.why }, { approverId: 'admin-3', why: 'requester_cannot_approve' });
    assert.equal(typeof details.auditSeq, 'number', 'the refusal is audited');
  });

  test('the requester may not approve: alice (requester and approver) cannot approve her own request; bob and carol can', async () => {
    const key = `alice-${n++}`;
    const pending = await dev.request('POST', '/v1/sign/evm-transaction', dev.tokens.alice, { keyId: String(dev.keys[0]?.keyId), transaction: tx(2n * ETH, 0) }, { 'Idempotency-Key': key });
    assert.equal(pending.status, 202, JSON.stringify(pending.json));
    const digest = String(pending.json.intentDigest);
    const self = await dev.request('POST', `/v1/requests/${key}/approvals`, dev.tokens.alice, approvalBody(person(dev.people.approvers, 'alice'), dev.deviceId, digest));
    assert.equal(self.status, 403);
    assert.equal((problemFields(self.json) as { details: { why: string } }).details.why, 'requester_cannot_approve');
    await dev.request('POST', `/v1/requests/${key}/approvals`, dev.tokens.approver, approvalBody(person(dev.people.approvers, 'bob'), dev.deviceId, digest));
    const done = await dev.request('POST', `/v1/requests/${key}/approvals`, dev.tokens.approver, approvalBody(person(dev.people.approvers, 'carol'), dev.deviceId, digest));
    assert.equal(done.status, 200, JSON.stringify(done.json));
    assert.deepEqual(done.json.approvedBy, ['bob', 'carol']);
  });

  test('a policy change that removes a requester takes effect at once: the bridge refuses the token under the orchestrator scope', async () => {
    const next = testPolicyJson(dev.people, { holdSeconds: 0 });
    next.changeDelaySeconds = 1;
    next.requesters = [{ id: 'orchestrator' }];
    const proposed = await dev.request('POST', '/v1/policy/proposals', dev.tokens.admin, { policy: next });
    assert.equal(proposed.status, 201, JSON.stringify(proposed.json));
    assert.equal(proposed.json.stricter, true, 'removing a requester only tightens');
    const st = proposed.json.statement as { proposalId: string; version: number; hash: string };
    for (const admin of dev.people.admins.slice(0, 2)) {
      const expiresAt = Math.floor(Date.now() / 1000) + 600;
      const sig = signStatement(
        admin,
        encodePolicyChangeStatement(dev.deviceId, { id: st.proposalId, version: st.version, hash: Buffer.from(st.hash.slice(2), 'hex'), proposedBy: '' }, admin.id, expiresAt),
      );
      const r = await dev.request('POST', `/v1/policy/proposals/${st.proposalId}/approvals`, dev.tokens.admin, { adminId: admin.id, expiresAt, signature: '0x' + Buffer.from(sig).toString('hex') });
      assert.equal(r.status, 200, JSON.stringify(r.json));
    }
    // A bridge started now (past its principal directory's one-second cache) sees the new policy.
    const app = createApp({ appliance: dev.client, tokens: new TokenVerifier(readTokens(dev.paths.bridgeTokens)) });
    const http = await app.request('/v1/sign/evm-transaction', {
      method: 'POST',
      headers: { Authorization: `Bearer ${dev.tokens.alice}`, 'Content-Type': 'application/json', 'Idempotency-Key': `alice-${n++}` },
      body: JSON.stringify({ keyId: String(dev.keys[0]?.keyId), transaction: tx(ETH / 10n, 1) }),
    });
    const res = { status: http.status, json: (await http.json()) as Record<string, unknown> };
    assert.equal(res.status, 403, JSON.stringify(res.json));
    // alice is still an approver, but no longer a requester: the scope she used needs that role.
    const error = problemFields(res.json) as { code: string; details: { code: string; roles: string[] } };
    assert.deepEqual([error.code, error.details.code, error.details.roles], ['forbidden', 'role_not_held', ['requester']]);
  });
});
