// Issue 11 item 12, through the real bridge (over HTTP) and the real appliance process: events tell
// the truth. Event ids are audit positions, so a client reconnecting with Last-Event-ID to a restarted
// bridge receives exactly the events it missed; typed-data signatures and denials are events like any
// other decision; a whitelist entry cancelled in its hold never shows `hold_ended`; an orchestrator
// token sees its own requests' events only, an admin token the whole feed.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import type { PolicyJson } from '../../host-bridge/policy-json.js';
import { signStatement } from '../../cli/approver-key.js';
import { encodeWhitelistCancelStatement } from '../../firmware-policy/whitelist-governance.js';
import { startBridge } from '../../host-bridge/main.js';
import { AuditEventFeed, type BridgeEvent } from '../../host-bridge/events.js';
import { CHAIN_ID, ETH, startTestDevice, testPolicyJson, whitelist, type TestDevice, type TestPeople } from '../helpers/test-device.js';
import { permitTypedData } from '../helpers/typed-data-fixtures.js';

let dev: TestDevice;
let keyId: string;
let owner: string;
const recipient = privateKeyToAccount(generatePrivateKey()).address;
const stranger = privateKeyToAccount(generatePrivateKey()).address;
const token = privateKeyToAccount(generatePrivateKey()).address;
let n = 0;

function policy(p: TestPeople): PolicyJson {
  const j = testPolicyJson(p, { holdSeconds: 0 });
  j.groups.hot!.assets[`${CHAIN_ID}:erc20:${token.toLowerCase()}`] = { perTxMax: (1000n * ETH).toString(), windows: [], approvalTiers: [], decimals: 18, approvalCap: (500n * ETH).toString() };
  j.groups.hot!.typedData = [{ chainId: CHAIN_ID, verifyingContract: token }];
  // A group whose entries wait an hour: time enough to cancel one in its hold.
  j.groups.slow = { chains: [CHAIN_ID], whitelistRequired: true, holdSeconds: 3600, assets: {} };
  return j;
}

const permit = (spender: string, value: bigint) => permitTypedData({ name: 'Test Token', version: '1', chainId: CHAIN_ID, verifyingContract: token }, { owner, spender, value });
const signTyped = (typedData: unknown, as = dev.tokens.orchestrator) => dev.request('POST', '/v1/sign/typed-data', as, { keyId, typedData }, { 'Idempotency-Key': `ev-td-${n++}` });
const denyTransfer = (as = dev.tokens.orchestrator) =>
  dev.request(
    'POST',
    '/v1/sign/evm-transaction',
    as,
    { keyId, transaction: { type: 'eip1559', chainId: CHAIN_ID, nonce: 0, to: stranger, value: (ETH / 10n).toString(), gasLimit: 21000, maxFeePerGas: '2000000000', maxPriorityFeePerGas: '1' } },
    { 'Idempotency-Key': `ev-tx-${n++}` },
  );

interface Parsed {
  id: string;
  event: string;
  data: BridgeEvent;
}

/** An SSE client over real HTTP: reads frames as they come; `take(k)` waits (bounded) for k more. */
async function connect(url: string, bearer: string, lastEventId?: string) {
  const abort = new AbortController();
  const res = await fetch(`${url}/v1/events`, { headers: { Authorization: `Bearer ${bearer}`, ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}) }, signal: abort.signal });
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  const frames: Parsed[] = [];
  let buffer = '';
  let pending: ReturnType<typeof reader.read> | undefined;
  let taken = 0;
  const pump = async (deadline: number, until: () => boolean) => {
    while (!until() && Date.now() < deadline) {
      pending ??= reader.read();
      const tick = new Promise<'tick'>((r) => setTimeout(() => r('tick'), 100));
      const got = await Promise.race([pending, tick]);
      if (got === 'tick') continue;
      pending = undefined;
      if (got.done) return;
      buffer += new TextDecoder().decode(got.value);
      let i: number;
      while ((i = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, i);
        buffer = buffer.slice(i + 2);
        const id = /^id: (.*)$/m.exec(frame)?.[1];
        const event = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (id && event && data) frames.push({ id, event, data: JSON.parse(data) as BridgeEvent });
      }
    }
  };
  return {
    frames,
    /** The next k events (fails after ms without them). */
    async take(k: number, ms = 8000): Promise<Parsed[]> {
      await pump(Date.now() + ms, () => frames.length >= taken + k);
      assert.ok(
        frames.length >= taken + k,
        `expected ${k} more events, got ${frames.length - taken}: ${frames
          .slice(taken)
          .map((f) => f.event)
          .join(', ')}`,
      );
      const out = frames.slice(taken, taken + k);
      taken += k;
      return out;
    },
    /** Whatever else arrives within ms (to show that nothing more came). */
    async rest(ms: number): Promise<Parsed[]> {
      await pump(Date.now() + ms, () => false);
      const out = frames.slice(taken);
      taken = frames.length;
      return out;
    },
    close: () => abort.abort(),
  };
}

/** `hsmctl bridge start` as its own process (port chosen by the OS); stop() kills it with SIGKILL. */
async function bridgeProcess(): Promise<{ url: string; stop(): Promise<void> }> {
  const hsmctl = fileURLToPath(new URL('../../cli/hsmctl.js', import.meta.url));
  const child = spawn(process.execPath, [hsmctl, 'bridge', 'start', '--var', dev.varRoot, '--device', 'dev', '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stderr.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      const m = /bridge on (http:\/\/[^;\s]+)/.exec(text);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the bridge exited (${String(code)}): ${text}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

const headSeq = async () => Number((await dev.client.call('audit.list', { limit: 1 })).headSeq);

describe('events tell the truth', () => {
  before(async () => {
    dev = await startTestDevice({ policy });
    keyId = String(dev.keys[0]?.keyId);
    owner = String(dev.keys[0]?.address);
    await whitelist(dev, recipient);
  });
  after(async () => {
    await dev?.stop();
  });

  test('Last-Event-ID survives a restart of the bridge process: the new one sends exactly the missed events, with the same ids', async () => {
    let bridge = await bridgeProcess();
    const first = await connect(bridge.url, dev.tokens.admin);
    assert.equal((await denyTransfer()).status, 403);
    assert.equal((await denyTransfer()).status, 403);
    const seen = await first.take(2);
    assert.deepEqual(
      seen.map((f) => f.event),
      ['sign.denied', 'sign.denied'],
    );
    assert.deepEqual(
      seen.map((f) => f.id),
      seen.map((f) => String(f.data.seq)),
      'an event id is its audit seq',
    );
    first.close();
    await bridge.stop(); // the bridge process dies (SIGKILL): its memory of events is gone

    // While no bridge runs: a denied transfer, a denied and a signed typed-data request.
    assert.equal((await denyTransfer()).status, 403);
    const deniedTyped = await signTyped(permit(stranger, ETH));
    assert.equal(deniedTyped.status, 403, JSON.stringify(deniedTyped.json));
    const signedTyped = await signTyped(permit(recipient, ETH));
    assert.equal(signedTyped.status, 200, JSON.stringify(signedTyped.json));
    const missedSeqs = [(await headSeq()) - 2, (await headSeq()) - 1, await headSeq()];

    bridge = await bridgeProcess();
    try {
      const again = await connect(bridge.url, dev.tokens.admin, seen[1]!.id);
      const missed = await again.take(3);
      assert.deepEqual(
        missed.map((f) => f.id),
        missedSeqs.map(String),
      );
      assert.deepEqual(
        missed.map((f) => [f.event, f.data.data.kind]),
        [
          ['sign.denied', 'sign.evm-tx'],
          ['sign.denied', 'sign.typed-data'],
          ['sign.signed', 'sign.typed-data'],
        ],
      );
      assert.equal(missed[2]!.data.data.requestId, signedTyped.json.requestId);
      // Then live events follow, with nothing repeated.
      assert.equal((await denyTransfer()).status, 403);
      const live = await again.take(1);
      assert.deepEqual([live[0]!.event, live[0]!.id], ['sign.denied', String(await headSeq())]);
      assert.deepEqual(await again.rest(300), []);
      again.close();
    } finally {
      await bridge.stop();
    }
  });

  test('an orchestrator token sees its own requests only; an admin token sees the whole feed', async () => {
    const bridge = await startBridge({ socketPath: dev.paths.socket, tokensFile: dev.paths.bridgeTokens, host: '127.0.0.1', port: 0 });
    try {
      const orchestrator = await connect(bridge.url, dev.tokens.orchestrator);
      const admin = await connect(bridge.url, dev.tokens.admin);
      await whitelist(dev, privateKeyToAccount(generatePrivateKey()).address); // a hold: admin feed only
      const theirs = await denyTransfer(dev.tokens.alice); // alice's request
      const mine = await denyTransfer(dev.tokens.orchestrator);
      const all = await admin.take(3);
      assert.deepEqual(
        all.map((f) => f.event),
        ['whitelist.hold_started', 'sign.denied', 'sign.denied'],
      );
      assert.deepEqual(
        all.slice(1).map((f) => f.data.data.requester),
        ['alice', 'orchestrator'],
      );
      const own = await orchestrator.take(1);
      assert.deepEqual([own[0]!.event, own[0]!.data.data.requestId, own[0]!.data.data.requester], ['sign.denied', mine.json.requestId, 'orchestrator']);
      assert.deepEqual(await orchestrator.rest(500), [], `the orchestrator saw another's request (${String(theirs.json.requestId)}) or the admin feed`);
      orchestrator.close();
      admin.close();
    } finally {
      await bridge.close();
    }
  });

  test('a whitelist entry cancelled in its hold shows whitelist.cancelled and never hold_ended, even after its activeAt', async () => {
    // The feed on a clock of the test's own, against the real appliance's log.
    let nowMs = Date.now();
    const timers: { at: number; fn: () => void }[] = [];
    const feed = new AuditEventFeed({ appliance: dev.client, pollMs: 60_000, now: () => nowMs, setTimer: (fn, ms) => timers.push({ at: nowMs + ms, fn }), clearTimer: () => undefined });
    const got: BridgeEvent[] = [];
    feed.subscribe((e) => got.push(e));
    await feed.start();
    const address = privateKeyToAccount(generatePrivateKey()).address;
    const accepted = await whitelist(dev, address, 'slow');
    const proposalId = String(accepted.proposalId);
    for (const admin of dev.people.admins.slice(0, 2)) {
      const expiresAt = Math.floor(Date.now() / 1000) + 600;
      const sig = signStatement(admin, encodeWhitelistCancelStatement(dev.deviceId, proposalId, admin.id, expiresAt));
      const r = await dev.request('POST', `/v1/whitelist/proposals/${proposalId}/cancel`, dev.tokens.admin, { adminId: admin.id, expiresAt, signature: '0x' + Buffer.from(sig).toString('hex') });
      assert.equal(r.status, 200, JSON.stringify(r.json));
    }
    await feed.pollNow();
    // The hour passes on the feed's clock; every timer it set fires.
    nowMs += 3601 * 1000;
    for (const t of timers.splice(0)) t.fn();
    await feed.pollNow();
    await feed.pollNow();
    feed.stop();
    const mine = got.filter((e) => e.data.proposalId === proposalId);
    assert.deepEqual(
      mine.map((e) => e.type),
      ['whitelist.hold_started', 'whitelist.cancelled'],
    );
    assert.equal(String(mine[1]!.data.address).toLowerCase(), address.toLowerCase(), 'the cancel names the address');
  });
});
