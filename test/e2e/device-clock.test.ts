// Issue 11 item 5, host clock forward (docs/device-time.md; DESIGN.md invariant 10), through the
// real appliance process, its SoftHSM2 token and the bridge. The appliance is restarted under
// Debian's libfaketime three days ahead: the address still in its hold is not signed for, the full
// rolling window stays full, and a loosening policy change does not activate before its time lock.
// An admin-quorum time statement (with the device's nonce) then moves the device's time forward and
// all three pass; the same statement replayed, one ahead of the host clock, and one short of the
// quorum are refused and audited. Back on the real clock the device's time does not go back.
// No wall-clock sleeping: the host clock is moved by libfaketime, the device's time by the statement.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import type { PolicyJson } from '../../host-bridge/policy-json.js';
import { publicPart, signStatement, type ApproverKeyFile } from '../../cli/approver-key.js';
import { encodePolicyChangeStatement } from '../../firmware-policy/policy-governance.js';
import { encodeTimeStatement } from '../../firmware-policy/time-statement.js';
import { CHAIN_ID, ETH, startTestDevice, TEST_PRINCIPALS, whitelist, type TestDevice, type TestPeople } from '../helpers/test-device.js';
import { faketimeEnv } from '../helpers/faketime.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { problemFields } from '../helpers/problem.js';

const DAY = 86_400;
const AHEAD = 3 * DAY;
const recipient = privateKeyToAccount(generatePrivateKey()).address;

/** "hot": no hold, at most 2 ETH per hour. "vault": a day-long hold. Loosening waits a day. */
function clockPolicy(p: TestPeople, hotWindowMax = 2n * ETH): PolicyJson {
  const asset = (windowMax: bigint) => ({ perTxMax: (10n * ETH).toString(), windows: [{ seconds: 3600, maxAmount: windowMax.toString(), maxCount: 100 }], approvalTiers: [] });
  return {
    defaultHoldSeconds: DAY,
    changeDelaySeconds: DAY,
    adminQuorum: 2,
    admins: p.admins.map(publicPart),
    approvers: p.approvers.map(publicPart),
    ...TEST_PRINCIPALS,
    groups: {
      hot: { chains: [CHAIN_ID], whitelistRequired: true, holdSeconds: 0, assets: { [`${CHAIN_ID}:native`]: asset(hotWindowMax) } },
      vault: { chains: [CHAIN_ID], whitelistRequired: true, holdSeconds: DAY, assets: { [`${CHAIN_ID}:native`]: asset(100n * ETH) } },
    },
  };
}

let dev: TestDevice;
let proposalId = '';
const nonces: Record<string, number> = { hot: 0, vault: 0 };
let idem = 0;
const realNow = () => Math.floor(Date.now() / 1000);
const codes = (r: { json: Record<string, unknown> }) => ((r.json.reasons ?? []) as { code: string }[]).map((x) => x.code);
const details = (r: { json: Record<string, unknown> }) => ((problemFields(r.json) as { details?: Record<string, unknown> } | undefined)?.details ?? {}) as Record<string, unknown>;

function sign(group: 'hot' | 'vault', value = ETH) {
  const keyId = String(dev.keys.find((k) => k.group === group)?.keyId);
  const tx = { type: 'eip1559', chainId: CHAIN_ID, nonce: nonces[group]!++, to: recipient, value: value.toString(), gasLimit: 21000, maxFeePerGas: '2000000000', maxPriorityFeePerGas: '1' };
  return dev.request('POST', '/v1/sign/evm-transaction', dev.tokens.orchestrator, { keyId, transaction: tx }, { 'Idempotency-Key': `clock-${group}-${idem++}` });
}

const deviceTime = async () => {
  const r = await dev.request('GET', '/v1/device/time', dev.tokens.admin);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json as { time: number; latest: number; hostTime: number; hostAheadSeconds: number; nonce: string };
};

/** The body of POST /v1/device/time/attestations: `admins` sign `time` over `nonce`, expiring 10 min after the host's now. */
function timeStatement(nonce: string, time: number, hostTime: number, admins: ApproverKeyFile[]) {
  const n = Buffer.from(nonce.slice(2), 'hex');
  const expiresAt = hostTime + 600;
  const approvals = admins.map((a) => ({
    adminId: a.id,
    expiresAt,
    signature: '0x' + Buffer.from(signStatement(a, encodeTimeStatement(dev.deviceId, { nonce: n, time }, a.id, expiresAt))).toString('hex'),
  }));
  return { time, nonce, approvals };
}

const attest = (body: unknown) => dev.request('POST', '/v1/device/time/attestations', dev.tokens.admin, body);
const activeVersion = async () => Number((await dev.request('GET', '/v1/policy', dev.tokens.auditor)).json.version);

async function auditEntry(seq: number): Promise<Record<string, unknown>> {
  const page = await dev.request('GET', `/v1/audit?fromSeq=${seq}&limit=1`, dev.tokens.auditor);
  const e = (page.json.entries as { payload: Record<string, unknown> }[])[0];
  assert.ok(e, `audit entry ${seq}`);
  return e.payload;
}

/** Asserts a 403 device-time refusal with `code`, logged at its auditSeq; returns that seq. */
async function assertTimeRefused(r: { status: number; json: Record<string, unknown> }, code: string): Promise<number> {
  assert.equal(r.status, 403, JSON.stringify(r.json));
  const d = details(r);
  assert.equal(d.rule, 'device-time');
  assert.equal(d.code, code);
  const seq = Number(d.auditSeq);
  const logged = await auditEntry(seq);
  assert.equal(logged.kind, 'device.time.attest');
  assert.equal(logged.outcome, 'rejected');
  assert.equal(logged.code, code);
  return seq;
}

describe('device clock: a host clock moved forward passes no hold, window or time lock early', () => {
  before(async () => {
    dev = await startTestDevice({
      policy: (p) => clockPolicy(p),
      keys: [
        { label: 'hot-1', group: 'hot' },
        { label: 'vault-1', group: 'vault' },
      ],
    });
    await whitelist(dev, recipient, 'hot');
    await whitelist(dev, recipient, 'vault');
    // Fill the hot window (2 ETH an hour).
    for (let i = 0; i < 2; i++) assert.equal((await sign('hot')).json.status, 'signed');
    assert.deepEqual(codes(await sign('hot')), ['window_amount']);
    // A loosening (the window to 5 ETH) reaches its quorum and waits its one-day time lock.
    const proposed = await dev.request('POST', '/v1/policy/proposals', dev.tokens.admin, { policy: clockPolicy(dev.people, 5n * ETH) });
    assert.equal(proposed.status, 201, JSON.stringify(proposed.json));
    const st = proposed.json.statement as { proposalId: string; version: number; hash: string };
    proposalId = st.proposalId;
    for (const admin of dev.people.admins.slice(0, 2)) {
      const expiresAt = realNow() + 600;
      const sig = signStatement(
        admin,
        encodePolicyChangeStatement(dev.deviceId, { id: st.proposalId, version: st.version, hash: Buffer.from(st.hash.slice(2), 'hex'), proposedBy: '' }, admin.id, expiresAt),
      );
      const r = await dev.request('POST', `/v1/policy/proposals/${proposalId}/approvals`, dev.tokens.admin, { adminId: admin.id, expiresAt, signature: '0x' + Buffer.from(sig).toString('hex') });
      assert.equal(r.status, 200, JSON.stringify(r.json));
    }
    const p = await dev.request('GET', `/v1/policy/proposals/${proposalId}`, dev.tokens.auditor);
    assert.equal(p.json.status, 'scheduled');
  });
  after(async () => {
    await dev?.stop();
  });

  test('under faketime +3 days: the address in its hold is not signed for, the window stays full, the loosening waits its time lock', async () => {
    await dev.restartAppliance('SIGTERM', undefined, faketimeEnv(`+${AHEAD}`));

    const held = await sign('vault');
    assert.equal(held.status, 403, JSON.stringify(held.json));
    assert.deepEqual(codes(held), ['whitelist_hold'], 'the vault hold (one day) has not passed on the device time');
    assert.equal((await auditEntry(Number(held.json.auditSeq))).outcome, 'deny');

    const full = await sign('hot');
    assert.deepEqual(codes(full), ['window_amount'], 'the hour-long window is still full');

    const early = await dev.request('POST', `/v1/policy/proposals/${proposalId}/activate`, dev.tokens.admin);
    assert.equal(early.status, 409, JSON.stringify(early.json));
    assert.equal(await activeVersion(), 1, 'the loosening did not activate before its time lock');

    // libfaketime did move the appliance's host clock; the device's own time did not follow it.
    const t = await deviceTime();
    assert.ok(Math.abs(t.hostTime - (realNow() + AHEAD)) < 120, `the appliance reads the moved host clock (hostTime ${t.hostTime})`);
    assert.ok(Math.abs(t.time - realNow()) < 120, `the device's own time did not follow it (time ${t.time})`);
    assert.ok(t.hostAheadSeconds > AHEAD - 120);
  });

  test('under faketime whose offset moves while the appliance runs (+0, then +3 days): the device time does not jump', async () => {
    // libfaketime re-reads its offset file on every clock call (no cache): the host moves the clock of
    // a running appliance, CLOCK_MONOTONIC (process.hrtime) included. The device's time follows the
    // smaller of that clock and the kernel's uptime, which the preloaded library does not touch.
    const file = join(mkdtempSync(join(tmpdir(), 'faketime-')), 'offset');
    writeFileSync(file, '+0\n');
    await dev.restartAppliance('SIGTERM', undefined, { LD_PRELOAD: faketimeEnv('+0').LD_PRELOAD!, FAKETIME_TIMESTAMP_FILE: file, FAKETIME_NO_CACHE: '1' });
    const before = await deviceTime();
    assert.ok(Math.abs(before.hostTime - realNow()) < 120, `started at +0 (hostTime ${before.hostTime})`);
    writeFileSync(file, `+${AHEAD}\n`);
    const after = await deviceTime();
    assert.ok(Math.abs(after.hostTime - (realNow() + AHEAD)) < 120, `the running appliance's clock moved (hostTime ${after.hostTime})`);
    assert.ok(after.time - before.time < 120, `the device's own time did not jump with it (from ${before.time} to ${after.time})`);
    const held = await sign('vault');
    assert.deepEqual(codes(held), ['whitelist_hold'], 'the vault hold has not passed on the device time');
    assert.deepEqual(codes(await sign('hot')), ['window_amount'], 'the window is still full');
  });

  test('an admin-quorum time statement is refused short of the quorum or ahead of the host clock, and audited', async () => {
    const t = await deviceTime();
    await assertTimeRefused(await attest(timeStatement(t.nonce, t.hostTime, t.hostTime, dev.people.admins.slice(0, 1))), 'quorum_not_met');
    await assertTimeRefused(await attest(timeStatement(t.nonce, t.hostTime + DAY, t.hostTime, dev.people.admins.slice(0, 2))), 'time_ahead_of_host');
    assert.ok(Math.abs((await deviceTime()).time - realNow()) < 120, 'the refused statements did not move the device time');
    assert.equal((await sign('vault')).status, 403);
  });

  test('an admin-quorum time statement moves the device time forward; then the hold, the window and the time lock pass; replayed, it is refused', async () => {
    const t = await deviceTime();
    const body = timeStatement(t.nonce, t.hostTime, t.hostTime, dev.people.admins.slice(0, 2));
    const ok = await attest(body);
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.equal(ok.json.status, 'accepted');
    assert.ok(Number(ok.json.advancedSeconds) > AHEAD - 120, `advanced ${String(ok.json.advancedSeconds)} s`);
    const logged = await auditEntry(Number(ok.json.auditSeq));
    assert.equal(logged.kind, 'device.time.attest');
    assert.equal(logged.outcome, 'accepted');
    assert.deepEqual(
      logged.approvedBy,
      dev.people.admins.slice(0, 2).map((a) => a.id),
    );
    const after = await deviceTime();
    assert.ok(after.time >= t.hostTime, 'the device time is now the attested time');
    assert.notEqual(after.nonce, t.nonce, 'the nonce was renewed');

    const vault = await sign('vault');
    assert.equal(vault.json.status, 'signed', JSON.stringify(vault.json));
    const hot = await sign('hot');
    assert.equal(hot.json.status, 'signed', JSON.stringify(hot.json));
    const act = await dev.request('POST', `/v1/policy/proposals/${proposalId}/activate`, dev.tokens.admin);
    assert.equal(act.status, 200, JSON.stringify(act.json));
    assert.equal(await activeVersion(), 2);

    // The same statement again: its nonce is used, so it is refused and logged.
    const head = Number(ok.json.auditSeq);
    const seq = await assertTimeRefused(await attest(body), 'stale_nonce');
    assert.ok(seq > head);
  });

  test('back on the real clock the device time does not go back: the host is behind it and the device refuses to act', async () => {
    await dev.restartAppliance();
    const t = await deviceTime();
    assert.ok(t.time > realNow() + AHEAD - 120, 'the attested time survived the restart (sealed)');
    const r = await sign('vault');
    assert.equal(r.status, 403, JSON.stringify(r.json));
    assert.equal(details(r).code, 'clock_rollback');
  });
});
