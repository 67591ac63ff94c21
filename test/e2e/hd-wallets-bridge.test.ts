// HD wallets through the real bridge and the appliance process (docs/hd-wallets.md): an admin creates a
// wallet and derives a key over HTTP, an auditor fetches the account xpub, and the ledger-side public
// derivation from that xpub gives the derived key's address with no appliance call; an orchestrator
// token cannot fetch the xpub, and the answers and the log never carry the seed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { publicKeyFromXpub } from '../../appliance/hd/hd-derivation.js';
import { addressFromPublicKey, toChecksumAddress } from '../../firmware-policy/evm/secp256k1-signature.js';
import { startTestDevice, type TestDevice } from '../helpers/test-device.js';
import { auditPayloadsOf } from '../helpers/e2e-token.js';

let d: TestDevice;

describe('HD wallets over HTTP', () => {
  before(async () => {
    d = await startTestDevice();
  });
  after(async () => {
    await d?.stop();
  });

  test('create (admin), derive (admin), xpub (auditor): the xpub derives the derived address', async () => {
    const created = await d.request('POST', '/v1/hd-wallets', d.tokens.admin, { label: 'deposits' });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const walletId = String(created.json.walletId);
    assert.deepEqual(Object.keys(created.json).sort(), ['auditSeq', 'createdAt', 'createdAtIso', 'label', 'policyHash', 'walletId']);
    const key = await d.request('POST', `/v1/hd-wallets/${walletId}/keys`, d.tokens.admin, { account: 3, index: 17, group: 'hot', label: 'dep-17' });
    assert.equal(key.status, 201, JSON.stringify(key.json));
    assert.equal(key.json.path, "m/44'/60'/3'/0/17");
    const again = await d.request('POST', `/v1/hd-wallets/${walletId}/keys`, d.tokens.admin, { account: 3, index: 17, group: 'hot', label: 'dup' });
    assert.equal(again.status, 409);
    const xpub = await d.request('GET', `/v1/hd-wallets/${walletId}/accounts/3/xpub`, d.tokens.auditor);
    assert.equal(xpub.status, 200, JSON.stringify(xpub.json));
    assert.equal(xpub.json.path, "m/44'/60'/3'");
    assert.equal(toChecksumAddress(addressFromPublicKey(publicKeyFromXpub(String(xpub.json.xpub), 17))), key.json.address);
    assert.equal((await d.request('GET', `/v1/hd-wallets/${walletId}/accounts/3/xpub`, d.tokens.orchestrator)).status, 403);
    assert.equal((await d.request('GET', `/v1/hd-wallets/hd-00/accounts/3/xpub`, d.tokens.auditor)).status, 404);
    const kinds = (await auditPayloadsOf(d)).map((p) => p.kind);
    for (const k of ['hd.create', 'hd.derive', 'hd.xpub']) assert.ok(kinds.includes(k), `an ${k} entry`);
    const xpubEntry = (await auditPayloadsOf(d)).find((p) => p.kind === 'hd.xpub');
    assert.equal(xpubEntry?.requester, 'auditor');
  });
});
