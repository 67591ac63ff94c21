// /v1/hd-wallets: create and derive (admin; 201, requester from the token's principal, body fields as
// the command takes them), the account xpub (admin or auditor; the account from the path), and the
// refusals the bridge makes itself (orchestrator or approver tokens, a malformed account) with nothing sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordingBridge, TOKENS, documentedCommands, errorOf } from './recording-bridge.js';

test('POST /v1/hd-wallets becomes hd.create with the admin principal as requester, answered 201', async () => {
  const { request, sent } = recordingBridge({ 'hd.create': { walletId: 'hd-01', label: 'treasury', createdAt: 5, policyHash: new Uint8Array([7]), auditSeq: 9 } });
  const res = await request('POST', '/v1/hd-wallets', { token: TOKENS.admin, body: { label: 'treasury' } });
  assert.equal(res.status, 201);
  assert.deepEqual(await res.json(), { walletId: 'hd-01', label: 'treasury', createdAt: 5, createdAtIso: '1970-01-01T00:00:05Z', policyHash: '0x07', auditSeq: 9 });
  assert.deepEqual(
    sent.map(({ cmd, args }) => ({ cmd, args })),
    [{ cmd: 'hd.create', args: { requester: 'admin-1', label: 'treasury' } }],
  );
  assert.ok(documentedCommands('POST /v1/hd-wallets').includes('hd.create'));
});

test('POST /v1/hd-wallets/:walletId/keys becomes hd.derive with the account, index, group and label', async () => {
  const { request, sent } = recordingBridge({ 'hd.derive': { keyId: 'k-1', walletId: 'hd-01', path: "m/44'/60'/3'/0/7", auditSeq: 10 } });
  const res = await request('POST', '/v1/hd-wallets/hd-01/keys', { token: TOKENS.admin, body: { account: 3, index: 7, group: 'hot', label: 'dep-7' } });
  assert.equal(res.status, 201);
  assert.deepEqual(
    sent.map(({ cmd, args }) => ({ cmd, args })),
    [{ cmd: 'hd.derive', args: { requester: 'admin-1', walletId: 'hd-01', account: 3, index: 7, group: 'hot', label: 'dep-7' } }],
  );
  assert.ok(documentedCommands('POST /v1/hd-wallets/{walletId}/keys').includes('hd.derive'));
});

test('GET /v1/hd-wallets/:walletId/accounts/:account/xpub: auditor and admin tokens reach hd.xpub; an orchestrator token does not', async () => {
  const { request, sent } = recordingBridge({ 'hd.xpub': { walletId: 'hd-01', account: 2, path: "m/44'/60'/2'", xpub: 'xpub-x', auditSeq: 11 } });
  assert.equal((await request('GET', '/v1/hd-wallets/hd-01/accounts/2/xpub', { token: TOKENS.auditor })).status, 200);
  assert.equal((await request('GET', '/v1/hd-wallets/hd-01/accounts/0/xpub', { token: TOKENS.admin })).status, 200);
  const orch = await request('GET', '/v1/hd-wallets/hd-01/accounts/0/xpub', { token: TOKENS.orchestrator });
  assert.equal(orch.status, 403);
  assert.equal((await errorOf(orch)).details?.code, 'scope_missing');
  assert.deepEqual(
    sent.map(({ cmd, args }) => ({ cmd, args })),
    [
      { cmd: 'hd.xpub', args: { requester: 'aud-1', walletId: 'hd-01', account: 2 } },
      { cmd: 'hd.xpub', args: { requester: 'admin-1', walletId: 'hd-01', account: 0 } },
    ],
  );
});

test('refused by the bridge, nothing sent: an approver creating a wallet, a derive without an index, an account that is not a number', async () => {
  const { request, sent } = recordingBridge();
  assert.equal((await request('POST', '/v1/hd-wallets', { token: TOKENS.approver, body: { label: 'x' } })).status, 403);
  const noIndex = await request('POST', '/v1/hd-wallets/hd-01/keys', { token: TOKENS.admin, body: { account: 0, group: 'hot', label: 'x' } });
  assert.equal(noIndex.status, 400);
  const badAccount = await request('GET', '/v1/hd-wallets/hd-01/accounts/-1/xpub', { token: TOKENS.auditor });
  assert.equal(badAccount.status, 400);
  assert.equal(sent.length, 0);
});
