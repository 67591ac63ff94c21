// /v1/policy: a JSON policy is made into the document that follows the active one (version + 1,
// parent hash, device id) before policy.propose; a hex document travels as its bytes; signed approvals
// and cancels, activation, reads, and the diff as JSON or Markdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCanonical, type CborMap } from '../../../protocol/cbor.js';
import { parsePolicy } from '../../../firmware-policy/policy-document.js';
import { publicPart } from '../../../cli/approver-key.js';
import { recordingBridge, TOKENS, activePolicy, admin } from './recording-bridge.js';

test("a JSON policy proposal reads the active policy, then sends the next version's canonical document", async () => {
  const { request, sent } = recordingBridge({ 'policy.get': activePolicy, 'policy.propose': { proposalId: 'pp-1' } });
  const policy = { adminQuorum: 1, admins: [publicPart(admin)], approvers: [], requesters: [{ id: 'orch-1' }], groups: {} };
  const res = await request('POST', '/v1/policy/proposals', { token: TOKENS.admin, body: { policy } });
  assert.equal(res.status, 201);
  assert.deepEqual(
    sent.map((s) => s.cmd),
    ['policy.get', 'policy.propose'],
  );
  assert.deepEqual(sent[0]!.args, {});
  const { requester, document } = sent[1]!.args as { requester: string; document: Uint8Array };
  assert.equal(requester, 'admin-1');
  const doc = parsePolicy(decodeCanonical(document));
  assert.equal(doc.version, 2);
  assert.equal(doc.deviceId, 'dev-1');
  assert.deepEqual(doc.parentHash, new Uint8Array(32).fill(7));
});

test('a hex document is sent as its bytes, without reading the active policy', async () => {
  const { request, sent } = recordingBridge();
  await request('POST', '/v1/policy/proposals', { token: TOKENS.admin, body: { document: '0xa0' } });
  assert.deepEqual(
    sent.map(({ cmd, args }) => ({ cmd, args })),
    [{ cmd: 'policy.propose', args: { requester: 'admin-1', document: new Uint8Array([0xa0]) } }],
  );
});

test('approve, cancel, activate and reads send their ids; the diff sends version and against', async () => {
  const { request, sent } = recordingBridge({ 'policy.diff': { markdown: '| a |', changes: [] } });
  const signed = { adminId: 'admin-1', expiresAt: 5, signature: '0x02' };
  await request('POST', '/v1/policy/proposals/pp-1/approvals', { token: TOKENS.admin, body: signed });
  await request('POST', '/v1/policy/proposals/pp-1/cancel', { token: TOKENS.admin, body: signed });
  await request('POST', '/v1/policy/proposals/pp-1/activate', { token: TOKENS.admin });
  await request('GET', '/v1/policy/proposals/pp-1', { token: TOKENS.auditor });
  await request('GET', '/v1/policy', { token: TOKENS.auditor });
  const json = await request('GET', '/v1/policy/versions/3/diff', { token: TOKENS.auditor });
  assert.deepEqual(await json.json(), { markdown: '| a |', changes: [] });
  const md = await request('GET', '/v1/policy/versions/3/diff?against=1', { token: TOKENS.auditor, headers: { Accept: 'text/markdown' } });
  assert.equal(md.headers.get('Content-Type'), 'text/markdown; charset=utf-8');
  assert.equal(await md.text(), '| a |');
  const approval = { proposalId: 'pp-1', adminId: 'admin-1', expiresAt: 5, signature: new Uint8Array([2]) };
  assert.deepEqual(
    sent.map(({ cmd, args }) => ({ cmd, args }) as { cmd: string; args: CborMap }),
    [
      { cmd: 'policy.approve', args: approval },
      { cmd: 'policy.cancel', args: approval },
      { cmd: 'policy.activate', args: { requester: 'admin-1', proposalId: 'pp-1' } },
      { cmd: 'policy.proposal', args: { proposalId: 'pp-1' } },
      { cmd: 'policy.get', args: {} },
      { cmd: 'policy.diff', args: { version: 3 } },
      { cmd: 'policy.diff', args: { version: 3, against: 1 } },
    ],
  );
});

test('policy reads are for auditors, changes for admins', async () => {
  const { request, sent } = recordingBridge();
  assert.equal((await request('GET', '/v1/policy', { token: TOKENS.admin })).status, 403);
  assert.equal((await request('POST', '/v1/policy/proposals/pp-1/activate', { token: TOKENS.auditor })).status, 403);
  assert.equal(sent.length, 0);
});

test('approvers and admins list the open proposals and read one, as auditors do; an orchestrator cannot', async () => {
  const { request, sent } = recordingBridge({ 'policy.proposals': { proposals: [] }, 'policy.proposal': { proposalId: 'pp-1' } });
  assert.equal((await request('GET', '/v1/policy/proposals', { token: TOKENS.approver })).status, 200);
  assert.equal((await request('GET', '/v1/policy/proposals?limit=3', { token: TOKENS.admin })).status, 200);
  assert.equal((await request('GET', '/v1/policy/proposals/pp-1', { token: TOKENS.approver })).status, 200);
  assert.equal((await request('GET', '/v1/policy/proposals/pp-1', { token: TOKENS.admin })).status, 200);
  assert.equal((await request('GET', '/v1/policy/proposals', { token: TOKENS.orchestrator })).status, 403);
  assert.deepEqual(
    sent.map(({ cmd, args }) => ({ cmd, args })),
    [
      { cmd: 'policy.proposals', args: {} },
      { cmd: 'policy.proposals', args: { limit: 3 } },
      { cmd: 'policy.proposal', args: { proposalId: 'pp-1' } },
      { cmd: 'policy.proposal', args: { proposalId: 'pp-1' } },
    ],
  );
});
