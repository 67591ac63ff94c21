// GET /v1/events: a connected client is told when a whitelist hold starts and ends, through the real
// bridge over HTTP in front of the real appliance. The group's hold is 0 s, so the hold ends as soon
// as the feed has read it: this test is about delivery, not waiting. When a hold ends (device time,
// not the bridge host's clock) is tested with controlled clocks in hold-ended-device-time.test.ts
// and test/host-bridge/events.test.ts.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { startBridge, type RunningBridge } from '../../host-bridge/main.js';
import { startTestDevice, testPolicyJson, whitelist, type TestDevice } from '../helpers/test-device.js';

let dev: TestDevice;
let bridge: RunningBridge;

describe('server-sent events', () => {
  before(async () => {
    dev = await startTestDevice({ policy: (p) => testPolicyJson(p, { holdSeconds: 0 }) });
    bridge = await startBridge({ socketPath: dev.paths.socket, tokensFile: dev.paths.bridgeTokens, host: '127.0.0.1', port: 0 });
  });
  after(async () => {
    await bridge?.close();
    await dev?.stop();
  });

  test('the events stream delivers hold-started and hold-ended events to a connected client', async () => {
    const abort = new AbortController();
    const res = await fetch(`${bridge.url}/v1/events`, { headers: { Authorization: `Bearer ${dev.tokens.approver}` }, signal: abort.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
    const reader = res.body!.getReader();
    const seen: { event: string; data: Record<string, unknown> }[] = [];
    let buffer = '';
    // One read in flight at a time: a read left pending by the timeout is awaited again, never dropped.
    let pending: ReturnType<typeof reader.read> | undefined;
    const waitFor = async (type: string, ms: number) => {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        const hit = seen.find((e) => e.event === type);
        if (hit) return hit;
        pending ??= reader.read();
        const tick = new Promise<'tick'>((r) => setTimeout(() => r('tick'), 250));
        const got = await Promise.race([pending, tick]);
        if (got === 'tick') continue;
        pending = undefined;
        if (got.done) break;
        if (got.value) buffer += new TextDecoder().decode(got.value);
        let i: number;
        while ((i = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, i);
          buffer = buffer.slice(i + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event && data) seen.push({ event, data: JSON.parse(data) as Record<string, unknown> });
        }
      }
      throw new Error(`no ${type} event within ${ms} ms; saw ${seen.map((e) => e.event).join(', ')}`);
    };
    const address = privateKeyToAccount(generatePrivateKey()).address;
    const proposal = await whitelist(dev, address);
    const started = await waitFor('whitelist.hold_started', 5000);
    assert.equal((started.data.data as { proposalId: string }).proposalId, proposal.proposalId);
    const ended = await waitFor('whitelist.hold_ended', 5000);
    assert.equal((ended.data.data as { proposalId: string }).proposalId, proposal.proposalId);
    assert.ok(seen.indexOf(started) < seen.indexOf(ended), 'the hold ends after it started');
    abort.abort();
  });
});
