// Review of issue 11 item 12, through the bridge's event feed and the real appliance process (its
// SoftHSM2 token and attested log): `whitelist.hold_ended` tells the truth. The feed's host clock is
// the test's own (pushed past activeAt); the device keeps its real time. A hold whose time has come on
// the bridge host but not on the device does not end; with the appliance unreachable when the hold is
// due (a cancel committed but not yet read), no hold_ended is emitted, and once it is back the cancel
// shows instead. No wall-clock sleeping: the feed's clock and timers are driven by the test.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import type { PolicyJson } from '../../host-bridge/policy-json.js';
import { signStatement } from '../../cli/approver-key.js';
import { encodeWhitelistCancelStatement } from '../../firmware-policy/whitelist-governance.js';
import { AuditEventFeed, type BridgeEvent } from '../../host-bridge/events.js';
import { CHAIN_ID, startTestDevice, testPolicyJson, whitelist, type TestDevice, type TestPeople } from '../helpers/test-device.js';

let dev: TestDevice;

function policy(p: TestPeople): PolicyJson {
  const j = testPolicyJson(p, { holdSeconds: 0 });
  j.groups.slow = { chains: [CHAIN_ID], whitelistRequired: true, holdSeconds: 3600, assets: {} };
  return j;
}

/** A feed on the real appliance, on a host clock and timers the test moves. */
function feedOnTestClock() {
  const clock = { ms: Date.now() };
  const timers: { at: number; fn: () => void }[] = [];
  const feed = new AuditEventFeed({ appliance: dev.client, pollMs: 1000, now: () => clock.ms, setTimer: (fn, ms) => timers.push({ at: clock.ms + ms, fn }), clearTimer: () => undefined });
  const got: BridgeEvent[] = [];
  feed.subscribe((e) => got.push(e));
  /** Moves the host clock by `ms`, fires the timers due, and lets the feed finish what they started (its reads of the appliance). */
  const advance = async (ms: number) => {
    clock.ms += ms;
    for (const t of timers.splice(0)) {
      if (t.at <= clock.ms) t.fn();
      else timers.push(t);
    }
    for (let i = 0; i < 3; i++) {
      await feed.pollNow().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50)); // lets the whitelist.list answer arrive (not time passing for the device)
    }
  };
  return { feed, got, timers, advance };
}

async function cancel(proposalId: string): Promise<void> {
  for (const admin of dev.people.admins.slice(0, 2)) {
    const expiresAt = Math.floor(Date.now() / 1000) + 600;
    const sig = signStatement(admin, encodeWhitelistCancelStatement(dev.deviceId, proposalId, admin.id, expiresAt));
    const r = await dev.request('POST', `/v1/whitelist/proposals/${proposalId}/cancel`, dev.tokens.admin, { adminId: admin.id, expiresAt, signature: '0x' + Buffer.from(sig).toString('hex') });
    assert.equal(r.status, 200, JSON.stringify(r.json));
  }
}

describe('hold_ended: only once read, and only when the device no longer holds the address', () => {
  before(async () => {
    dev = await startTestDevice({ policy });
  });
  after(async () => {
    await dev?.stop();
  });

  test('a hold due on the bridge host clock but not on the device clock does not end', async () => {
    const { feed, got, timers, advance } = feedOnTestClock();
    await feed.start();
    const accepted = await whitelist(dev, privateKeyToAccount(generatePrivateKey()).address, 'slow');
    const proposalId = String(accepted.proposalId);
    await feed.pollNow();
    assert.deepEqual(
      got.filter((e) => e.data.proposalId === proposalId).map((e) => e.type),
      ['whitelist.hold_started'],
    );
    // The bridge host's clock runs two hours ahead: the hold is due there; the device still holds it.
    await advance(2 * 3600 * 1000);
    const listed = ((await dev.client.call('whitelist.list', {})).entries as { proposalId: string; inHold: boolean }[]).find((e) => e.proposalId === proposalId);
    assert.equal(listed?.inHold, true, 'the device still holds the address');
    assert.deepEqual(
      got.filter((e) => e.data.proposalId === proposalId).map((e) => e.type),
      ['whitelist.hold_started'],
      'no hold_ended while the device holds it',
    );
    assert.ok(timers.length >= 1, 'the feed asks again later');
    feed.stop();
  });

  test('with the appliance unreachable when a hold is due, a cancel committed but not read never shows as ended', async () => {
    const { feed, got, advance } = feedOnTestClock();
    await feed.start();
    const accepted = await whitelist(dev, privateKeyToAccount(generatePrivateKey()).address, 'slow');
    const proposalId = String(accepted.proposalId);
    await feed.pollNow();
    await cancel(proposalId); // committed on the device; the feed has not read it
    await dev.appliance.stop();
    try {
      await advance(3601 * 1000);
      assert.deepEqual(
        got.filter((e) => e.data.proposalId === proposalId).map((e) => e.type),
        ['whitelist.hold_started'],
        'nothing emitted while the log cannot be read',
      );
    } finally {
      await dev.restartAppliance();
    }
    await advance(60_000);
    assert.deepEqual(
      got.filter((e) => e.data.proposalId === proposalId).map((e) => e.type),
      ['whitelist.hold_started', 'whitelist.cancelled'],
    );
    feed.stop();
  });
});
