// Passkey approvals (issue 12 item 2) through the real parts (SoftHSM2 token, appliance process,
// bridge): a policy approver that is a WebAuthn credential approves a transfer above the threshold
// with an assertion whose challenge is SHA-256 of the approval statement, sent in the bridge's
// `webauthn` form; with a key-file approval the request is signed and the credential's counter is
// stored sealed. The same assertion on another request is refused (its challenge names the first),
// an assertion whose counter did not move is refused as counter_replayed and audited, and every
// decision replays offline with the counters it read. The assertions are built in the test with a
// software passkey (test/helpers/software-passkey.ts); test/e2e/webauthn-browser.test.ts covers Chromium.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import type { CborMap } from '../../protocol/cbor.js';
import { entryPayload } from '../../cli/audit-tools.js';
import { publicPart } from '../../cli/approver-key.js';
import { replayDecisions } from '../../attestation/audit-replay.js';
import { encodeApprovalStatement } from '../../firmware-policy/approvals/statement.js';
import { approvalBody, CHAIN_ID, ETH, startTestDevice, testPolicyJson, whitelist, type TestDevice } from '../helpers/test-device.js';
import { softwarePasskey, type AssertOptions } from '../helpers/software-passkey.js';
import { problemFields } from '../helpers/problem.js';

const dana = softwarePasskey('dana', 21);
let dev: TestDevice;
let keyId: string;
let nonce = 0;
const recipient = privateKeyToAccount(generatePrivateKey()).address;
const hex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');
const unhex = (h: string) => new Uint8Array(Buffer.from(h.slice(2), 'hex'));
const expiry = () => Math.floor(Date.now() / 1000) + 600;

function auditEntries(): CborMap[] {
  const db = new Database(dev.paths.stateDb, { readonly: true });
  try {
    return (db.prepare('SELECT entry FROM audit ORDER BY seq').all() as { entry: Buffer }[]).map((r) => entryPayload(new Uint8Array(r.entry)));
  } finally {
    db.close();
  }
}

function storedCounter(): number | undefined {
  const db = new Database(dev.paths.stateDb, { readonly: true });
  try {
    const row = db.prepare('SELECT counter FROM passkey_counters WHERE credential_id = ?').get(Buffer.from(dana.credentialId)) as { counter: number } | undefined;
    return row?.counter;
  } finally {
    db.close();
  }
}

async function pendingTransfer(tag: string): Promise<{ requestId: string; digest: string }> {
  const requestId = `${tag}-${Date.now()}`;
  const tx = {
    type: 'eip1559',
    chainId: CHAIN_ID,
    nonce: nonce++,
    to: recipient,
    value: (2n * ETH).toString(),
    gasLimit: 21000,
    maxFeePerGas: '20000000000',
    maxPriorityFeePerGas: '1000000000',
    data: '0x',
  };
  const res = await dev.request('POST', '/v1/sign/evm-transaction', dev.tokens.orchestrator, { keyId, transaction: tx }, { 'Idempotency-Key': requestId });
  assert.equal(res.status, 202, JSON.stringify(res.json));
  assert.equal(res.json.required, 2);
  return { requestId, digest: String(res.json.intentDigest) };
}

/** Dana's approval in the bridge's webauthn form, over the statement of `digest`. */
function passkeyBody(digest: string, expiresAt: number, o?: AssertOptions) {
  const statement = encodeApprovalStatement({ deviceId: dev.deviceId, intentDigest: unhex(digest), approverId: 'dana', expiresAt });
  const f = dana.assertFields(statement, o);
  return { approverId: 'dana', expiresAt, webauthn: { authenticatorData: hex(f.authenticatorData), clientDataJSON: hex(f.clientDataJSON), signature: hex(f.signature) } };
}

const approve = (requestId: string, body: unknown) => dev.request('POST', `/v1/requests/${requestId}/approvals`, dev.tokens.approver, body);
const errorOf = (r: { json: Record<string, unknown> }) => problemFields(r.json) as { code: string; message: string; details?: Record<string, unknown> };

describe('passkey approvals (issue 12 item 2)', () => {
  before(async () => {
    dev = await startTestDevice({
      policy: (p) => ({ ...testPolicyJson(p, { holdSeconds: 0 }), approvers: [publicPart(p.approvers[1]!), dana.json] }),
    });
    keyId = String(dev.keys[0]?.keyId);
    await whitelist(dev, recipient);
  });

  after(async () => {
    await dev?.stop();
  });

  let firstBody: ReturnType<typeof passkeyBody>;

  test('a passkey assertion and a key-file approval sign a transfer above the threshold; the counter is stored', async () => {
    const { requestId, digest } = await pendingTransfer('passkey-a');
    firstBody = passkeyBody(digest, expiry(), { counter: 7 });
    const one = await approve(requestId, firstBody);
    assert.equal(one.status, 202, JSON.stringify(one.json));
    assert.deepEqual(one.json.approvedBy, ['dana']);
    assert.equal(storedCounter(), undefined, 'a pending decision stores no counter');
    const bob = dev.people.approvers[1]!;
    const two = await approve(requestId, approvalBody(bob, dev.deviceId, digest));
    assert.equal(two.status, 200, JSON.stringify(two.json));
    assert.equal(two.json.status, 'signed');
    assert.deepEqual([...(two.json.approvedBy as string[])].sort(), ['bob', 'dana']);
    assert.equal(storedCounter(), 7);
    const signedEntry = auditEntries().find((e) => e.requestId === requestId && e.result === 'signed');
    assert.ok(signedEntry, 'the signature is audited');
    const inputs = signedEntry.inputs as CborMap;
    assert.deepEqual(inputs.webauthnCounters, [{ credentialId: dana.credentialId, counter: 0 }], 'the decision records the counter it read');
  });

  test('the same assertion on another pending request is refused: its challenge names the first request', async () => {
    const { requestId } = await pendingTransfer('passkey-b');
    const r = await approve(requestId, firstBody);
    assert.equal(r.status, 403, JSON.stringify(r.json));
    assert.equal(errorOf(r).details?.why, 'bad_signature');
    assert.equal(errorOf(r).details?.webauthn, 'challenge_mismatch');
    const state = await dev.request('GET', `/v1/requests/${requestId}`, dev.tokens.orchestrator);
    assert.deepEqual(state.json.approvedBy, []);
  });

  test('an assertion whose counter did not move is refused as counter_replayed, and the audit entry says so', async () => {
    const { requestId, digest } = await pendingTransfer('passkey-c');
    const r = await approve(requestId, passkeyBody(digest, expiry(), { counter: 7 }));
    assert.equal(r.status, 403, JSON.stringify(r.json));
    assert.equal(errorOf(r).details?.why, 'counter_replayed');
    const entry = auditEntries().find((e) => e.requestId === requestId && e.kind === 'request.approve' && e.outcome === 'rejected');
    assert.ok(entry, 'the refusal is audited');
    assert.deepEqual(entry.rejectedApprovals, [{ approverId: 'dana', why: 'counter_replayed', webauthn: 'counter_replayed' }]);
    const lower = await approve(requestId, passkeyBody(digest, expiry(), { counter: 3 }));
    assert.equal(errorOf(lower).details?.why, 'counter_replayed');
    // The authenticator's next assertion counts.
    const next = await approve(requestId, passkeyBody(digest, expiry(), { counter: 8 }));
    assert.equal(next.status, 202, JSON.stringify(next.json));
    assert.deepEqual(next.json.approvedBy, ['dana']);
    assert.equal(storedCounter(), 7, 'still pending: the counter moves only with a signature');
  });

  test('an assertion from an origin the credential does not list, or without user verification, is refused and audited', async () => {
    const { requestId, digest } = await pendingTransfer('passkey-e');
    for (const [o, reason] of [
      [{ origin: 'http://localhost:9999' }, 'origin_not_allowed'],
      [{ flags: 0x01 }, 'user_not_verified'],
    ] as const) {
      const r = await approve(requestId, passkeyBody(digest, expiry(), o));
      assert.equal(r.status, 403, JSON.stringify(r.json));
      assert.equal(errorOf(r).details?.webauthn, reason);
      const entry = auditEntries()
        .reverse()
        .find((e) => e.requestId === requestId && e.kind === 'request.approve' && e.outcome === 'rejected');
      assert.ok(entry, `the ${reason} refusal is audited`);
      assert.equal((entry.rejectedApprovals as { webauthn?: string }[])[0]?.webauthn, reason);
    }
    const state = await dev.request('GET', `/v1/requests/${requestId}`, dev.tokens.orchestrator);
    assert.deepEqual(state.json.approvedBy, []);
  });

  test('the bridge refuses a body with both forms or neither, and an assertion field that is not hex', async () => {
    const { requestId, digest } = await pendingTransfer('passkey-d');
    const body = passkeyBody(digest, expiry(), { counter: 9 });
    const both = await approve(requestId, { ...body, signature: '0x00' });
    assert.equal(both.status, 400, JSON.stringify(both.json));
    const neither = await approve(requestId, { approverId: 'dana', expiresAt: body.expiresAt });
    assert.equal(neither.status, 400);
    const notHex = await approve(requestId, { ...body, webauthn: { ...body.webauthn, clientDataJSON: '{"type":"webauthn.get"}' } });
    assert.equal(notHex.status, 400);
  });

  test('every decision replays offline with the counters it read', () => {
    const payloads = auditEntries();
    const report = replayDecisions(payloads);
    assert.ok(report.decisions >= 4, `decisions: ${report.decisions}`);
    assert.deepEqual(report.mismatches, []);
    assert.equal(report.confirmed, report.decisions);
  });
});
