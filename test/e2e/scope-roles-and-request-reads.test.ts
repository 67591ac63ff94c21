// Review of issue 11 items 8 and 12, through the real bridge, appliance process and SoftHSM2 token:
// a token's scope is worth only the policy role it stands for, and a requester reads only its own
// requests. An admin-scope token bound to a requester generates no key, activates no policy change and
// reads no device time; an auditor-scope token bound to a non-auditor reads no log and no event feed,
// and nor does an auditor the policy dropped (403 role_not_held, nothing reaches the log). The
// appliance itself refuses, audited, key.generate and policy.activate naming a non-admin, and answers
// request.get as not_found to a requester reading another's request (approvers, admins, auditors read
// any). Another requester taking an Idempotency-Key first gets a bare conflict, nothing of the request.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { signStatement } from '../../cli/approver-key.js';
import { addToken, readTokens, TokenVerifier } from '../../host-bridge/auth.js';
import { createApp } from '../../host-bridge/app.js';
import { encodePolicyChangeStatement } from '../../firmware-policy/policy-governance.js';
import { ApplianceError } from '../../protocol/errors.js';
import { CHAIN_ID, ETH, startTestDevice, testPolicyJson, whitelist, type TestDevice, type TestPeople } from '../helpers/test-device.js';
import { problemFields } from '../helpers/problem.js';

let dev: TestDevice;
let app: ReturnType<typeof createApp>;
const recipient = privateKeyToAccount(generatePrivateKey()).address;
const tok: Record<string, string> = {};

const policy = (p: TestPeople) => {
  const j = testPolicyJson(p, { holdSeconds: 0 });
  j.changeDelaySeconds = 0; // a change activates at its quorum
  j.requesters = [...(j.requesters ?? []), { id: 'orchestrator-b' }];
  return j;
};
const headSeq = async () => Number((await dev.client.call('audit.list', { limit: 1 })).headSeq);
async function req(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await app.request(path, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}
const errorOf = (r: { json: Record<string, unknown> }) => problemFields(r.json) as { code: string; message: string; details?: Record<string, unknown> };
const tx = (nonce: number) => ({ type: 'eip1559', chainId: CHAIN_ID, nonce, to: recipient, value: (ETH / 10n).toString(), gasLimit: 21000, maxFeePerGas: '2000000000', maxPriorityFeePerGas: '1' });
async function auditAt(seq: number): Promise<Record<string, unknown>> {
  const page = await dev.request('GET', `/v1/audit?fromSeq=${seq}&limit=1`, dev.tokens.auditor);
  return ((page.json.entries as { payload: Record<string, unknown> }[])[0]?.payload ?? {}) as Record<string, unknown>;
}

describe('scopes stand for policy roles; requests are read by their requester or by approvers, admins, auditors', () => {
  before(async () => {
    dev = await startTestDevice({ policy });
    await whitelist(dev, recipient);
    tok.b = addToken(dev.paths.bridgeTokens, 'orchestrator-b', ['orchestrator'], 'orchestrator-b');
    tok.adminAsRequester = addToken(dev.paths.bridgeTokens, 'admin-on-requester', ['admin'], 'orchestrator');
    tok.auditorAsRequester = addToken(dev.paths.bridgeTokens, 'auditor-on-requester', ['auditor'], 'orchestrator-b');
    app = createApp({ appliance: dev.client, tokens: new TokenVerifier(readTokens(dev.paths.bridgeTokens)) });
  });
  after(async () => {
    await dev?.stop();
  });

  test('a requester reads its own request; another requester gets not_found, as for an id never used; approver, admin and auditor read it', async () => {
    const signed = await req('POST', '/v1/sign/evm-transaction', dev.tokens.orchestrator, { keyId: String(dev.keys[0]?.keyId), transaction: tx(0) }, { 'Idempotency-Key': 'orch-pay-1' });
    assert.equal(signed.status, 200, JSON.stringify(signed.json));
    const own = await req('GET', '/v1/requests/orch-pay-1', dev.tokens.orchestrator);
    assert.equal(own.status, 200);
    assert.equal(own.json.rawTransaction, signed.json.rawTransaction);
    const other = await req('GET', '/v1/requests/orch-pay-1', tok.b!);
    const never = await req('GET', '/v1/requests/never-used', tok.b!);
    assert.deepEqual([other.status, errorOf(other).code], [404, 'not_found'], JSON.stringify(other.json));
    assert.deepEqual([errorOf(other).code, errorOf(other).message], [errorOf(never).code, errorOf(never).message], 'the refusal tells nothing of the request');
    assert.deepEqual(Object.keys(errorOf(other).details ?? {}), ['auditSeq'], 'only the seq where the refusal was audited');
    for (const t of [dev.tokens.approver, dev.tokens.auditor, dev.tokens.admin]) {
      const r = await req('GET', '/v1/requests/orch-pay-1', t);
      assert.deepEqual([r.status, r.json.requester], [200, 'orchestrator']);
    }
    // A compromised bridge claiming a role the policy does not give the viewer reads nothing either.
    const err = await dev.client.call('request.get', { requestId: 'orch-pay-1', viewer: 'orchestrator-b', role: 'approver' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof ApplianceError && err.code === 'not_found', String(err));
  });

  test("another requester taking a request's Idempotency-Key gets a bare conflict: no status, signature or field of that request", async () => {
    const taken = await req('POST', '/v1/sign/evm-transaction', tok.b!, { keyId: String(dev.keys[0]?.keyId), transaction: tx(0) }, { 'Idempotency-Key': 'orch-pay-1' });
    assert.equal(taken.status, 422);
    // The problem's own members, and in its details only the kind of conflict and the audit entry of the refusal.
    assert.deepEqual(Object.keys(taken.json).sort(), ['code', 'detail', 'details', 'error', 'status', 'title', 'type']);
    assert.deepEqual(Object.keys(errorOf(taken).details ?? {}).sort(), ['auditSeq', 'code']);
    assert.equal(errorOf(taken).code, 'conflict');
    assert.equal(errorOf(taken).details?.code, 'idempotency_key_reused');
    assert.ok(!JSON.stringify(taken.json).includes('0x'), 'no hex value of the request leaks');
  });

  test('an admin-scope token bound to a requester is refused before the appliance: no key, no activation, no device time', async () => {
    const before = await headSeq();
    for (const [method, path, body] of [
      ['POST', '/v1/keys', { label: 'sneaky', group: 'hot' }],
      ['POST', '/v1/policy/proposals/pp-0000000000000000/activate', undefined],
      ['GET', '/v1/device/time', undefined],
    ] as const) {
      const r = await req(method, path, tok.adminAsRequester!, body);
      const e = errorOf(r);
      assert.deepEqual(
        [r.status, e.code, e.details?.code, e.details?.principal, e.details?.roles],
        [403, 'forbidden', 'role_not_held', 'orchestrator', ['admin']],
        `${path}: ${JSON.stringify(r.json)}`,
      );
    }
    assert.equal(await headSeq(), before, 'nothing reached the log');
    assert.equal(((await dev.client.call('key.list', {})).keys as unknown[]).length, dev.keys.length, 'no key was made');
  });

  test('the appliance refuses key.generate and policy.activate naming a non-admin (audited); an admin through the bridge is recorded', async () => {
    const keysBefore = ((await dev.client.call('key.list', {})).keys as unknown[]).length;
    for (const [cmd, args] of [
      ['key.generate', { requester: 'orchestrator', label: 'forged', group: 'hot' }],
      ['policy.activate', { requester: 'alice', proposalId: 'pp-0000000000000000' }],
    ] as const) {
      const err = await dev.client.call(cmd, { ...args }).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ApplianceError && err.code === 'denied', `${cmd}: ${String(err)}`);
      const d = err.details as { code: string; auditSeq: number };
      assert.equal(d.code, 'requester_not_allowed');
      const entry = await auditAt(d.auditSeq);
      assert.deepEqual([entry.kind, entry.outcome, entry.requester], [cmd, 'rejected', args.requester]);
    }
    assert.equal(((await dev.client.call('key.list', {})).keys as unknown[]).length, keysBefore, 'no key was made');
    const made = await req('POST', '/v1/keys', dev.tokens.admin, { label: 'by-admin', group: 'hot' });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    const entry = await auditAt(Number(made.json.auditSeq));
    assert.deepEqual([entry.kind, entry.requester], ['key.generate', 'admin-3']);
  });

  test('an auditor-scope token bound to a non-auditor reads no log and no events; an auditor the policy drops is refused at once', async () => {
    for (const path of ['/v1/audit?limit=1', '/v1/events']) {
      const r = await req('GET', path, tok.auditorAsRequester!);
      const e = errorOf(r);
      assert.deepEqual([r.status, e.code, e.details?.code, e.details?.roles], [403, 'forbidden', 'role_not_held', ['auditor']], `${path}: ${JSON.stringify(r.json)}`);
    }
    assert.equal((await req('GET', '/v1/audit?limit=1', dev.tokens.auditor)).status, 200);
    // The policy drops "auditor" (it stays known: it becomes a requester).
    const next = policy(dev.people);
    next.auditors = [];
    next.requesters = [...(next.requesters ?? []), { id: 'auditor' }];
    const proposed = await req('POST', '/v1/policy/proposals', dev.tokens.admin, { policy: next });
    assert.equal(proposed.status, 201, JSON.stringify(proposed.json));
    const st = proposed.json.statement as { proposalId: string; version: number; hash: string };
    for (const admin of dev.people.admins.slice(0, 2)) {
      const expiresAt = Math.floor(Date.now() / 1000) + 600;
      const sig = signStatement(
        admin,
        encodePolicyChangeStatement(dev.deviceId, { id: st.proposalId, version: st.version, hash: Buffer.from(st.hash.slice(2), 'hex'), proposedBy: '' }, admin.id, expiresAt),
      );
      const r = await req('POST', `/v1/policy/proposals/${st.proposalId}/approvals`, dev.tokens.admin, { adminId: admin.id, expiresAt, signature: '0x' + Buffer.from(sig).toString('hex') });
      assert.equal(r.status, 200, JSON.stringify(r.json));
    }
    assert.equal(Number((await dev.client.call('policy.get')).version), st.version, 'the change is active');
    app = createApp({ appliance: dev.client, tokens: new TokenVerifier(readTokens(dev.paths.bridgeTokens)) }); // past the directory's one-second cache
    for (const path of ['/v1/audit?limit=1', '/v1/events']) {
      const r = await req('GET', path, dev.tokens.auditor);
      assert.deepEqual([r.status, errorOf(r).details?.code], [403, 'role_not_held'], `${path}: ${JSON.stringify(r.json)}`);
    }
  });
});
