// Signed admin requests (issue 12 item 1) through the real bridge, appliance process and SoftHSM2
// token, under a policy with requireSignedProposals: an admin's whitelist proposal and policy
// proposal stamped by its own key are accepted and audited as verified; an unsigned one, one stamped
// with another key, one whose stamp belongs to another admin, and one whose stamp was made for another
// proposal are refused, each with its audit entry, and nothing is proposed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { adminRequestStatement, type AdminStatementRequest, type AdminStatementTarget } from '../../host-bridge/request-stamp-client.js';
import { proposedDocument, whitelistProposeParams } from '../../host-bridge/admin-params.js';
import { generateApproverKey, signStatement, type ApproverKeyFile } from '../../cli/approver-key.js';
import { toWireArgs } from '../../protocol/commands/command.js';
import { ApplianceError } from '../../protocol/errors.js';
import { asMap } from '../../protocol/args.js';
import type { CborMap } from '../../protocol/cbor.js';
import { entryPayload } from '../../cli/audit-tools.js';
import { CHAIN_ID, startTestDevice, testPolicyJson, type TestDevice } from '../helpers/test-device.js';
import { problemFields } from '../helpers/problem.js';

let dev: TestDevice;
let admin1: ApproverKeyFile;
let admin3: ApproverKeyFile;
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;
const address = () => privateKeyToAccount(generatePrivateKey()).address;

async function deviceNow(): Promise<number> {
  return Number((await dev.request('GET', '/v1/device/time', dev.tokens.admin)).json.time);
}

async function entry(seq: unknown): Promise<Record<string, unknown>> {
  const page = await dev.request('GET', `/v1/audit?fromSeq=${Number(seq)}&limit=1`, dev.tokens.auditor);
  return ((page.json.entries as { payload: Record<string, unknown> }[])[0]?.payload ?? {}) as Record<string, unknown>;
}

type Target = AdminStatementTarget;

/** The stamp `signer` makes for `body` asked for by `requester`. */
function stamp(signer: ApproverKeyFile, target: Target, body: Record<string, unknown>, requester: string, expiresAt: number) {
  const statement = adminRequestStatement({ ...target, deviceId: dev.deviceId, body, requester, expiresAt } as AdminStatementRequest);
  return { expiresAt, signature: hex(signStatement(signer, statement)) };
}

async function headSeq(): Promise<number> {
  const page = await dev.client.call('audit.list', { fromSeq: 1, limit: 1000 });
  return (page.entries as { seq: number }[]).at(-1)!.seq;
}

describe('signed proposals: an admin stamps what it asks for, the appliance verifies, the bridge only carries', () => {
  before(async () => {
    dev = await startTestDevice({ policy: (p) => ({ ...testPolicyJson(p, { holdSeconds: 0 }), maxApprovalLifetimeSeconds: 3600, requireSignedProposals: true }) });
    admin1 = dev.people.admins[0]!;
    admin3 = dev.people.admins[2]!; // the bridge's admin token is bound to admin-3
  });
  after(async () => {
    await dev?.stop();
  });

  test('a stamped whitelist proposal is accepted and audited with the admin verified', async () => {
    const body = { group: 'hot', chainId: CHAIN_ID, address: address(), label: 'stamped', requestId: 'wl-1' };
    const res = await dev.request('POST', '/v1/whitelist/proposals', dev.tokens.admin, { ...body, stamp: stamp(admin3, { command: 'whitelist.propose' }, body, 'admin-3', (await deviceNow()) + 600) });
    assert.equal(res.status, 201, JSON.stringify(res.json));
    assert.equal(res.json.proposedBy, 'admin-3');
    const page = await dev.client.call('audit.list', { fromSeq: 1, limit: 1000 });
    const last = (page.entries as { seq: number }[]).at(-1)!;
    const e = await entry(last.seq);
    assert.deepEqual([e.kind, e.requester, e.requesterProof, e.requestId], ['whitelist.propose', 'admin-3', 'verified', 'wl-1']);
  });

  test('a stamped policy proposal (a JSON policy made into the next version) is accepted', async () => {
    const active = await dev.client.call('policy.get', {});
    const ref = { deviceId: String(asMap(active.document, 'document').deviceId), version: Number(active.version), hash: active.hash as Uint8Array };
    const body = { policy: { ...testPolicyJson(dev.people, { holdSeconds: 0 }), maxApprovalLifetimeSeconds: 3600, requireSignedProposals: true, defaultHoldSeconds: 7200 }, requestId: 'pp-1' };
    const document = await proposedDocument(body, () => ref);
    const res = await dev.request('POST', '/v1/policy/proposals', dev.tokens.admin, {
      ...body,
      stamp: stamp(admin3, { command: 'policy.propose', document }, body, 'admin-3', (await deviceNow()) + 600),
    });
    assert.equal(res.status, 201, JSON.stringify(res.json));
    assert.equal(res.json.proposedBy, 'admin-3');
  });

  test('unsigned, forged and re-targeted proposals are refused and audited; nothing is proposed', async () => {
    const now = await deviceNow();
    const body = { group: 'hot', chainId: CHAIN_ID, address: address(), label: 'hostile', requestId: 'wl-2' };
    const good = stamp(admin3, { command: 'whitelist.propose' }, body, 'admin-3', now + 600);
    const wire = (b: Record<string, unknown>, requester: string, s?: { expiresAt: number; signature: string }): CborMap => ({
      ...toWireArgs(whitelistProposeParams(b, requester)),
      ...(s ? { stamp: { expiresAt: s.expiresAt, signature: new Uint8Array(Buffer.from(s.signature.slice(2), 'hex')) } } : {}),
    });
    const before = await headSeq();
    const cases: [string, CborMap, string][] = [
      ['unsigned', wire({ ...body, requestId: undefined }, 'admin-3'), 'request_unsigned'],
      ['unsigned with a request id', wire(body, 'admin-1'), 'request_unsigned'],
      ['forged with a key of its own', wire(body, 'admin-3', stamp(generateApproverKey('admin-3', 'ES256'), { command: 'whitelist.propose' }, body, 'admin-3', now + 600)), 'request_bad_signature'],
      ["admin-1's stamp under admin-2's name", wire(body, 'admin-2', stamp(admin1, { command: 'whitelist.propose' }, body, 'admin-1', now + 600)), 'request_bad_signature'],
      ['the stamp moved to another address', wire({ ...body, address: address() }, 'admin-3', good), 'request_bad_signature'],
      ['the stamp moved to another request id', wire({ ...body, requestId: 'wl-3' }, 'admin-3', good), 'request_bad_signature'],
      ['expired', wire(body, 'admin-3', stamp(admin3, { command: 'whitelist.propose' }, body, 'admin-3', now - 1)), 'request_expired'],
    ];
    for (const [name, args, code] of cases) {
      const err = await dev.client.call('whitelist.propose', args).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ApplianceError && err.code === 'denied', `${name}: ${String(err)}`);
      const details = err.details as { code: string; auditSeq: number; requester: string };
      assert.equal(details.code, code, name);
      const e = await entry(details.auditSeq);
      assert.deepEqual([e.kind, e.outcome, e.requester], ['whitelist.propose', 'rejected', details.requester], name);
    }
    // Through the bridge too: an unsigned proposal by the admin token is a 403 with its audit entry.
    const { requestId: _none, ...plain } = body;
    const res = await dev.request('POST', '/v1/whitelist/proposals', dev.tokens.admin, plain);
    assert.equal(res.status, 403, JSON.stringify(res.json));
    const details = (problemFields(res.json) as { details: Record<string, unknown> }).details;
    assert.equal(details.code, 'request_unsigned');
    assert.equal((await entry(details.auditSeq)).outcome, 'rejected');
    const since = await dev.client.call('audit.list', { fromSeq: before + 1, limit: 1000 });
    const payloads = (since.entries as { entry: Uint8Array }[]).map((x) => entryPayload(x.entry));
    assert.ok(
      payloads.every((p) => !(p.kind === 'whitelist.propose' && p.proposalId !== undefined)),
      'nothing was proposed',
    );
    assert.ok(payloads.filter((p) => p.kind === 'whitelist.propose' && p.outcome === 'rejected').length >= 1, 'the refusals are in the log');
  });

  test('a policy proposal whose stamp was made for another document is refused', async () => {
    const active = await dev.client.call('policy.get', {});
    const ref = { deviceId: String(asMap(active.document, 'document').deviceId), version: Number(active.version), hash: active.hash as Uint8Array };
    const mk = (hold: number) => ({
      policy: { ...testPolicyJson(dev.people, { holdSeconds: 0 }), maxApprovalLifetimeSeconds: 3600, requireSignedProposals: true, defaultHoldSeconds: hold },
      requestId: 'pp-2',
    });
    const meant = mk(9000);
    const s = stamp(admin3, { command: 'policy.propose', document: await proposedDocument(meant, () => ref) }, meant, 'admin-3', (await deviceNow()) + 600);
    const res = await dev.request('POST', '/v1/policy/proposals', dev.tokens.admin, { ...mk(0), stamp: s });
    assert.equal(res.status, 403, JSON.stringify(res.json));
    const details = (problemFields(res.json) as { details: Record<string, unknown> }).details;
    assert.equal(details.code, 'request_bad_signature');
    const e = await entry(details.auditSeq);
    assert.deepEqual([e.kind, e.outcome, e.requester], ['policy.propose', 'rejected', 'admin-3']);
  });

  test('HD wallets under requireSignedProposals: a stamped create and derive are accepted; an unstamped derive, and a stamp moved to another path, are refused', async () => {
    const createBody = { label: 'signed-hd', requestId: 'hd-1' };
    const created = await dev.request('POST', '/v1/hd-wallets', dev.tokens.admin, { ...createBody, stamp: stamp(admin3, { command: 'hd.create' }, createBody, 'admin-3', (await deviceNow()) + 600) });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.deepEqual([(await entry(created.json.auditSeq)).kind, (await entry(created.json.auditSeq)).requesterProof], ['hd.create', 'verified']);
    const walletId = String(created.json.walletId);
    const target = { command: 'hd.derive' as const, walletId };
    const body = { account: 0, index: 1, group: 'hot', label: 'signed-1', requestId: 'hd-2' };
    const derived = await dev.request('POST', `/v1/hd-wallets/${walletId}/keys`, dev.tokens.admin, { ...body, stamp: stamp(admin3, target, body, 'admin-3', (await deviceNow()) + 600) });
    assert.equal(derived.status, 201, JSON.stringify(derived.json));
    const unstamped = await dev.request('POST', `/v1/hd-wallets/${walletId}/keys`, dev.tokens.admin, { ...body, index: 2, requestId: 'hd-3' });
    assert.equal(unstamped.status, 403);
    assert.equal(problemFields(unstamped.json)?.details?.code, 'request_unsigned');
    const moved = await dev.request('POST', `/v1/hd-wallets/${walletId}/keys`, dev.tokens.admin, {
      ...body,
      index: 3,
      requestId: 'hd-4',
      stamp: stamp(admin3, target, { ...body, requestId: 'hd-4' }, 'admin-3', (await deviceNow()) + 600),
    });
    assert.equal(moved.status, 403);
    assert.equal(problemFields(moved.json)?.details?.code, 'request_bad_signature');
  });
});
