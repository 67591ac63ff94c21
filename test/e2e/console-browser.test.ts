// The approver console end to end (issue 12 "Done when"), in a real browser against the real parts:
// Debian's Chromium with a DevTools virtual authenticator per approver, the bridge as `hsmctl bridge
// start` runs it (startBridge: HTTP on 127.0.0.1, console origin http://localhost:<port>), the
// appliance process on a SoftHSM2 token, and anvil. Carol and Dave each register a passkey in the
// console; the entries it shows go into a policy change two admins approve, active after its time
// lock (passed on the device's clock). The orchestrator's stamped request for 2 ETH (above the 1 ETH
// tier: two approvals) appears in both consoles from the event stream; each approves it with a
// passkey assertion the appliance verifies; the appliance signs and anvil mines the transaction.
// A screenshot of the console with the pending request is written to the OS temporary directory.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import Database from 'better-sqlite3';
import { parseEther, parseTransaction, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import type { PolicyJson } from '../../host-bridge/policy-json.js';
import { startBridge, type RunningBridge } from '../../host-bridge/main.js';
import { requestStatement } from '../../host-bridge/request-stamp-client.js';
import { signStatement } from '../../cli/approver-key.js';
import { encodePolicyChangeStatement } from '../../firmware-policy/policy-governance.js';
import { advanceDeviceTime, CHAIN_ID, startTestDevice, testPolicyJson, whitelist, type TestDevice, type TestPeople } from '../helpers/test-device.js';
import { startAnvil, type Anvil } from '../helpers/anvil.js';
import { chromiumPath, closeBrowser, launchBrowser, openAuthenticatorPage, type AuthenticatorPage, type BrowserHandle } from '../helpers/browser.js';

/** The time lock of a loosening policy change, in device seconds (passed with advanceDeviceTime). */
const LOCK = 30;
const orchSecret = p256.keygen().secretKey;
const recipient = privateKeyToAccount(generatePrivateKey()).address;
const requestId = 'console-e2e-1';

let dev: TestDevice;
let anvil: Anvil;
let bridge: RunningBridge;
let origin: string;
let browser: BrowserHandle | undefined;
let carol: AuthenticatorPage;
let dave: AuthenticatorPage;
let keyId: string;
const enrolled: Record<string, PolicyJson['approvers'][number]> = {};
let started = 0;
let refusedStreams = 0;

function basePolicy(p: TestPeople): PolicyJson {
  const j = testPolicyJson(p, { holdSeconds: 0 });
  return {
    ...j,
    changeDelaySeconds: LOCK,
    requesters: [{ id: 'orchestrator', alg: 'ES256', publicKey: `0x${bytesToHex(p256.getPublicKey(orchSecret, false))}`, groups: ['hot'] }, { id: 'alice' }],
    groups: { hot: { ...j.groups.hot!, requireSignedRequests: true } },
  };
}

/** A port free on 127.0.0.1 now, so the console origin can name it before the bridge listens. */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A JSON request to the bridge over HTTP, as the orchestrator or an admin would send it. */
async function http(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${bridge.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

/** Registers a passkey in the console for `id` and returns the approver entry the page shows. */
async function registerIn(tab: AuthenticatorPage, id: string): Promise<PolicyJson['approvers'][number]> {
  await tab.page.fill('#approver-id', id);
  await tab.page.click('#register');
  const pre = tab.page.locator('#enrolment');
  await pre.waitFor({ state: 'visible' });
  return JSON.parse((await pre.textContent()) ?? '') as PolicyJson['approvers'][number];
}

const statusText = (tab: AuthenticatorPage) => tab.page.locator('#status').textContent();
const item = (tab: AuthenticatorPage) => tab.page.locator(`li.request[data-request-id="${requestId}"]`);

/** Waits (bounded) until the appliance's own timer has activated the proposal: the device time is already past its lock. */
async function activated(pid: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const p = await dev.request('GET', `/v1/policy/proposals/${pid}`, dev.tokens.auditor);
    if (p.json.status === 'active') return;
    assert.equal(p.json.status, 'scheduled', JSON.stringify(p.json));
    if (Date.now() > deadline) assert.fail(`proposal ${pid} not activated within 15 s of its time lock passing`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function storedCounters(): Map<string, number> {
  const db = new Database(dev.paths.stateDb, { readonly: true });
  try {
    const rows = db.prepare('SELECT credential_id, counter FROM passkey_counters').all() as { credential_id: Buffer; counter: number }[];
    return new Map(rows.map((r) => [`0x${r.credential_id.toString('hex')}`, r.counter]));
  } finally {
    db.close();
  }
}

describe(
  'the approver console in Chromium: enrol, approve with passkeys, sign, mine',
  { skip: chromiumPath() === undefined ? 'Chromium is not installed (make system-deps installs it with apt-get)' : false },
  () => {
    before(async () => {
      started = performance.now();
      anvil = await startAnvil();
      dev = await startTestDevice({ policy: basePolicy });
      const key = dev.keys[0]!;
      keyId = String(key.keyId);
      await whitelist(dev, recipient);
      const funded = await anvil.funder.sendTransaction({ to: String(key.address) as Hex, value: parseEther('10'), account: anvil.funder.account!, chain: anvil.funder.chain });
      await anvil.publicClient.waitForTransactionReceipt({ hash: funded });
      const port = await freePort();
      origin = `http://localhost:${port}`;
      bridge = await startBridge({ socketPath: dev.paths.socket, tokensFile: dev.paths.bridgeTokens, host: '127.0.0.1', port, consoleOrigin: origin });
      browser = await launchBrowser();
      carol = await openAuthenticatorPage(browser, `${origin}/console`, { hasUserVerification: true, isUserVerified: true });
      // Dave's own browser profile: his own cookie jar, so the two sessions never mix.
      dave = await openAuthenticatorPage({ browser: browser.browser, context: await browser.browser.newContext() }, `${origin}/console`, { hasUserVerification: true, isUserVerified: true });
      // Event streams the bridge refused (in the second after the policy change its view of the policy
      // may be a second old): the page opens a new one, and the log says how often that happened.
      for (const tab of [carol, dave]) tab.page.on('response', (r) => void (r.url().endsWith('/v1/events') && r.status() !== 200 && refusedStreams++));
      console.log(`# console-browser: device, anvil, bridge and two pages up after ${Math.round(performance.now() - started)} ms`);
    });

    after(async () => {
      await closeBrowser(browser);
      await bridge?.close();
      await dev?.stop();
      await anvil?.stop();
      console.log(`# console-browser: ${Math.round(performance.now() - started)} ms in all; event streams refused and reopened: ${refusedStreams}`);
    });

    test('carol and dave register passkeys in the console; the page shows the policy entries', async () => {
      enrolled.carol = await registerIn(carol, 'carol');
      enrolled.dave = await registerIn(dave, 'dave');
      for (const id of ['carol', 'dave']) {
        const e = enrolled[id]!;
        assert.deepEqual([e.id, e.alg, e.rpId, e.origins], [id, 'WebAuthn', 'localhost', [origin]]);
        assert.match(e.publicKey, /^0x[0-9a-f]{154}$/, 'an ES256 COSE key: five entries, 32-byte coordinates');
        assert.match(e.credentialId!, /^0x([0-9a-f]{2})+$/);
      }
      assert.notEqual(enrolled.carol!.credentialId, enrolled.dave!.credentialId);
      assert.match((await statusText(carol)) ?? '', /Passkey registered/);
    });

    test('a passkey not in the active policy cannot sign in', async () => {
      await carol.page.click('#sign-in');
      await carol.page.locator('#status.error').waitFor();
      assert.match((await statusText(carol)) ?? '', /^Error: credential_unknown: this passkey is not an approver of the active policy$/);
      assert.equal(await carol.page.locator('#who').textContent(), 'Not signed in.');
    });

    test('two admins approve the policy change that enrols both passkeys; it activates after its time lock', async () => {
      const next = basePolicy(dev.people);
      // Carol's key file gives way to her passkey; Dave is a new approver (a loosening: time-locked).
      next.approvers = [...next.approvers.filter((a) => a.id !== 'carol'), enrolled.carol!, enrolled.dave!];
      const proposed = await http('POST', '/v1/policy/proposals', dev.tokens.admin, { policy: next });
      assert.equal(proposed.status, 201, JSON.stringify(proposed.json));
      const st = proposed.json.statement as { proposalId: string; version: number; hash: string };
      let last: Record<string, unknown> = {};
      for (const admin of dev.people.admins.slice(0, 2)) {
        const expiresAt = Math.floor(Date.now() / 1000) + 600;
        const statement = encodePolicyChangeStatement(dev.deviceId, { id: st.proposalId, version: st.version, hash: Buffer.from(st.hash.slice(2), 'hex'), proposedBy: '' }, admin.id, expiresAt);
        const r = await http('POST', `/v1/policy/proposals/${st.proposalId}/approvals`, dev.tokens.admin, {
          adminId: admin.id,
          expiresAt,
          signature: `0x${Buffer.from(signStatement(admin, statement)).toString('hex')}`,
        });
        assert.equal(r.status, 200, JSON.stringify(r.json));
        last = r.json;
      }
      assert.equal(last.status, 'scheduled', 'adding an approver loosens the policy: it waits the time lock');
      await advanceDeviceTime(dev, LOCK);
      await activated(st.proposalId);
      const active = await http('GET', '/v1/policy', dev.tokens.auditor);
      assert.equal(active.json.version, 2);
    });

    test('both sign in with their passkeys', async () => {
      for (const [tab, id] of [
        [carol, 'carol'],
        [dave, 'dave'],
      ] as const) {
        await tab.page.click('#sign-in');
        await tab.page.locator('#who', { hasText: `Signed in as ${id}.` }).waitFor();
        await tab.page.locator('#empty').waitFor({ state: 'visible' });
        assert.equal(await statusText(tab), '', 'the earlier refusal is cleared');
      }
    });

    test("the orchestrator's stamped 2 ETH request waits; both consoles show it as the appliance decoded it", async () => {
      const body = {
        keyId,
        transaction: { type: 'eip1559', chainId: CHAIN_ID, nonce: 0, to: recipient, value: parseEther('2').toString(), gasLimit: 21000, maxFeePerGas: '2000000000', maxPriorityFeePerGas: '1' },
      };
      const now = Number((await http('GET', '/v1/device/time', dev.tokens.admin)).json.time);
      const expiresAt = now + 600;
      const statement = requestStatement({ deviceId: dev.deviceId, command: 'sign.evm-tx', body, requester: 'orchestrator', requestId, expiresAt });
      const stamp = { expiresAt, signature: `0x${bytesToHex(p256.sign(sha256(statement), orchSecret, { prehash: false, format: 'der' }))}` };
      const res = await http('POST', '/v1/sign/evm-transaction', dev.tokens.orchestrator, { ...body, stamp }, { 'Idempotency-Key': requestId });
      assert.equal(res.status, 202, JSON.stringify(res.json));
      assert.equal(res.json.required, 2);
      // No reload: each page lists the request when the event stream says one needs approval.
      for (const tab of [carol, dave]) {
        const li = item(tab);
        await li.waitFor({ state: 'visible' });
        const text = (await li.textContent()) ?? '';
        assert.ok(text.includes(`${recipient.toLowerCase()} — test recipient (hot)`), text);
        assert.ok(text.includes(`2 (${CHAIN_ID}:native; ${parseEther('2')} base units)`), text);
        assert.ok(text.includes('0 of 2: none yet'), text);
        assert.ok(text.includes(String(res.json.intentDigest)), text);
      }
      const shot = join(tmpdir(), `console-pending-${process.pid}-${Date.now()}.png`);
      await carol.page.screenshot({ path: shot, fullPage: true });
      assert.ok(statSync(shot).size > 10_000, 'a screenshot of the page');
      console.log(`# console-browser: screenshot of the pending request: ${shot}`);
    });

    test('carol approves with her passkey: one of two', async () => {
      await item(carol).locator('button.approve').click();
      await carol.page.locator('#status', { hasText: `Request ${requestId}: pending_approval` }).waitFor();
      await item(carol)
        .locator('dd', { hasText: /^1 of 2: carol until / })
        .waitFor();
      assert.equal(await item(carol).locator('button.approve').isDisabled(), true, 'she cannot approve twice');
    });

    test('dave approves with his: the appliance signs, and anvil mines the transaction', async () => {
      await item(dave)
        .locator('dd', { hasText: /^1 of 2: carol until / })
        .waitFor();
      await item(dave).locator('button.approve').click();
      await dave.page.locator('#status', { hasText: `Request ${requestId}: signed` }).waitFor();
      await item(dave).waitFor({ state: 'detached' });
      await item(carol).waitFor({ state: 'detached' });
      // The appliance stores each passkey's signature counter with the decision its assertion allowed.
      const counters = storedCounters();
      for (const id of ['carol', 'dave']) assert.ok((counters.get(enrolled[id]!.credentialId!) ?? 0) > 0, `${id}'s counter is stored: her or his assertion counted`);

      const read = await http('GET', `/v1/requests/${requestId}`, dev.tokens.orchestrator);
      assert.equal(read.json.status, 'signed', JSON.stringify(read.json));
      assert.deepEqual([...(read.json.approvedBy as string[])].sort(), ['carol', 'dave']);
      const raw = String(read.json.rawTransaction) as Hex;
      const tx = parseTransaction(raw);
      assert.equal(tx.to?.toLowerCase(), recipient.toLowerCase());
      assert.equal(tx.value, parseEther('2'));
      const hash = await anvil.publicClient.sendRawTransaction({ serializedTransaction: raw });
      assert.equal((await anvil.publicClient.waitForTransactionReceipt({ hash })).status, 'success');
      assert.equal(await anvil.publicClient.getBalance({ address: recipient }), parseEther('2'));
    });
  },
);
