// /v1/whitelist: a proposal (chain id as bigint, address as 20 bytes, label only when given), signed
// approvals and cancels, the listing's page, and a removal with its optional group.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordingBridge, TOKENS } from './recording-bridge.js';
import { problemOf } from '../../helpers/problem.js';

const address = '0x' + '12'.repeat(20);
const bytes = new Uint8Array(20).fill(0x12);

test('a proposal becomes whitelist.propose, answered 201; the label only when given', async () => {
  const { request, sent } = recordingBridge({ 'whitelist.propose': { proposalId: 'p-1' } });
  const res = await request('POST', '/v1/whitelist/proposals', { token: TOKENS.admin, body: { group: 'hot', chainId: '31337', address, label: 'exchange' } });
  assert.equal(res.status, 201);
  await request('POST', '/v1/whitelist/proposals', { token: TOKENS.admin, body: { group: 'hot', chainId: 1, address } });
  assert.deepEqual(
    sent.map(({ cmd, args }) => ({ cmd, args })),
    [
      { cmd: 'whitelist.propose', args: { requester: 'admin-1', group: 'hot', chainId: 31337n, address: bytes, label: 'exchange' } },
      { cmd: 'whitelist.propose', args: { requester: 'admin-1', group: 'hot', chainId: 1n, address: bytes } },
    ],
  );
});

test("approvals and cancels carry the admin's signed fields; their replies are 200 whatever the result says", async () => {
  const { request, sent } = recordingBridge({ 'whitelist.approve': { status: 'denied' }, 'whitelist.cancel': { status: 'cancelled' } });
  const signed = { adminId: 'admin-1', expiresAt: '1700000000', signature: '0x01' };
  assert.equal((await request('POST', '/v1/whitelist/proposals/p-1/approvals', { token: TOKENS.admin, body: signed })).status, 200);
  assert.equal((await request('POST', '/v1/whitelist/proposals/p-1/cancel', { token: TOKENS.admin, body: signed })).status, 200);
  const args = { proposalId: 'p-1', adminId: 'admin-1', expiresAt: 1700000000, signature: new Uint8Array([1]) };
  assert.deepEqual(
    sent.map(({ cmd, args }) => ({ cmd, args })),
    [
      { cmd: 'whitelist.approve', args },
      { cmd: 'whitelist.cancel', args },
    ],
  );
});

test('the listing sends its page; a removal its chain, address bytes and group when given', async () => {
  const { request, sent } = recordingBridge();
  await request('GET', '/v1/whitelist?offset=5', { token: TOKENS.orchestrator });
  await request('DELETE', `/v1/whitelist/10/${address}`, { token: TOKENS.admin });
  await request('DELETE', `/v1/whitelist/10/${address}?group=cold`, { token: TOKENS.admin });
  assert.deepEqual(
    sent.map(({ cmd, args }) => ({ cmd, args })),
    [
      { cmd: 'whitelist.list', args: { offset: 5 } },
      { cmd: 'whitelist.remove', args: { requester: 'admin-1', chainId: 10n, address: bytes } },
      { cmd: 'whitelist.remove', args: { requester: 'admin-1', chainId: 10n, address: bytes, group: 'cold' } },
    ],
  );
});

test('a leading-zero quantity is 400 non_canonical; an auditor cannot propose; nothing is sent', async () => {
  const { request, sent } = recordingBridge();
  const zeros = await request('POST', '/v1/whitelist/proposals', { token: TOKENS.admin, body: { group: 'hot', chainId: '007', address } });
  assert.equal(zeros.status, 400);
  assert.equal(problemOf(await zeros.json()).code, 'non_canonical');
  assert.equal((await request('POST', '/v1/whitelist/proposals', { token: TOKENS.auditor, body: { group: 'hot', chainId: 1, address } })).status, 403);
  assert.equal(sent.length, 0);
});

test('approvers, admins and auditors list the proposals (pending by default) and read one; an orchestrator cannot; a bad status sends nothing', async () => {
  const { request, sent } = recordingBridge({ 'whitelist.proposals': { proposals: [] }, 'whitelist.proposal': { proposalId: 'p-1', status: 'pending' } });
  assert.equal((await request('GET', '/v1/whitelist/proposals', { token: TOKENS.approver })).status, 200);
  assert.equal((await request('GET', '/v1/whitelist/proposals?status=accepted&limit=5&offset=10', { token: TOKENS.admin })).status, 200);
  assert.equal((await request('GET', '/v1/whitelist/proposals/p-1', { token: TOKENS.approver })).status, 200);
  assert.equal((await request('GET', '/v1/whitelist/proposals/p-1', { token: TOKENS.auditor })).status, 200);
  assert.equal((await request('GET', '/v1/whitelist/proposals', { token: TOKENS.orchestrator })).status, 403);
  assert.equal((await request('GET', '/v1/whitelist/proposals?status=maybe', { token: TOKENS.admin })).status, 400);
  assert.deepEqual(
    sent.map(({ cmd, args }) => ({ cmd, args })),
    [
      { cmd: 'whitelist.proposals', args: {} },
      { cmd: 'whitelist.proposals', args: { status: 'accepted', limit: 5, offset: 10 } },
      { cmd: 'whitelist.proposal', args: { proposalId: 'p-1' } },
      { cmd: 'whitelist.proposal', args: { proposalId: 'p-1' } },
    ],
  );
});
