// Red-team scenarios for issue 11, items 8 (who asked is a policy principal, not the bridge's word) and
// 12 (events tell the truth), through the real bridge app, the appliance process and its SoftHSM2 token.
import { encodeWhitelistCancelStatement, encodeWhitelistStatement } from '../../../firmware-policy/whitelist-governance.js';
import { AuditEventFeed, type BridgeEvent } from '../../../host-bridge/events.js';
import { signStatement } from '../../../cli/approver-key.js';
import { ApplianceError } from '../../../protocol/errors.js';
import { addToken, readTokens, TokenVerifier, type Scope } from '../../../host-bridge/auth.js';
import { createApp } from '../../../host-bridge/app.js';
import { ETH, person, randomAddress, reasonCodes, tx, type Json, problemFields } from '../harness.js';
import type { Scenario } from '../scenario.js';

const bytes = (h: string) => new Uint8Array(Buffer.from(h.slice(2), 'hex'));

/** Reads SSE frames from a response body until `enough(frames)` or `ms` pass; returns the frames' JSON. */
async function readEvents(body: ReadableStream<Uint8Array>, ms: number, enough: (got: BridgeEvent[]) => boolean): Promise<BridgeEvent[]> {
  const reader = body.getReader();
  const got: BridgeEvent[] = [];
  let buffer = '';
  const deadline = Date.now() + ms;
  let pending: ReturnType<typeof reader.read> | undefined;
  while (!enough(got) && Date.now() < deadline) {
    pending ??= reader.read();
    const r = await Promise.race([pending, new Promise<'tick'>((res) => setTimeout(() => res('tick'), 100))]);
    if (r === 'tick') continue;
    pending = undefined;
    if (r.done) break;
    buffer += new TextDecoder().decode(r.value);
    let i: number;
    while ((i = buffer.indexOf('\n\n')) >= 0) {
      const data = /^data: (.*)$/m.exec(buffer.slice(0, i))?.[1];
      buffer = buffer.slice(i + 2);
      if (data) got.push(JSON.parse(data) as BridgeEvent);
    }
  }
  await reader.cancel().catch(() => undefined);
  return got;
}

/** A bridge app over the device's appliance with one more token (`scopes`, bound to `principal`); returns it and the token. */
function bridgeWithToken(m: { paths: { bridgeTokens: string }; client: Parameters<typeof createApp>[0]['appliance'] }, name: string, scopes: Scope[], principal: string) {
  const token = addToken(m.paths.bridgeTokens, name, scopes, principal);
  const app = createApp({ appliance: m.client, tokens: new TokenVerifier(readTokens(m.paths.bridgeTokens)) });
  const request = async (method: string, path: string, body?: unknown) => {
    const res = await app.request(path, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : {}) as Json };
  };
  return { request };
}

export const principalsAndEventsScenarios: Scenario[] = [
  {
    id: 'H8',
    attacker: 'bridge',
    attack: 'names a requester the policy does not know (its own token name) in sign.evm-tx',
    expected: 'denied [requester: unknown_principal], audited',
    async run(w, v) {
      const m = w.main;
      const head = await m.auditHead();
      const requestId = m.newRequestId('forged-requester');
      const t = tx(w.addr.recipient, ETH / 10n, w.freshNonce());
      const r = await m.client.call('sign.evm-tx', {
        requestId,
        requester: 'ops-admin',
        keyId: m.key('hot-1').keyId,
        tx: {
          type: 'eip1559',
          chainId: BigInt(t.chainId),
          nonce: BigInt(t.nonce),
          to: bytes(t.to),
          value: BigInt(t.value),
          gasLimit: BigInt(t.gasLimit),
          maxFeePerGas: BigInt(t.maxFeePerGas),
          maxPriorityFeePerGas: BigInt(t.maxPriorityFeePerGas),
        },
      });
      const codes = ((r.reasons ?? []) as { code: string }[]).map((x) => x.code);
      v.expect(r.status === 'denied' && codes.includes('unknown_principal'), `expected denied [unknown_principal], got ${String(r.status)} [${codes.join(', ')}]`);
      v.expect(r.signature === undefined && r.rawTransaction === undefined, 'the answer carries a signature');
      v.expect(await m.noSignatureSince(head), 'the audit log records a signature made since the attack');
      const seq = await m.findAudit(head, (p) => p.kind === 'sign.evm-tx' && p.requestId === requestId && p.outcome === 'deny' && reasonCodes(p).includes('unknown_principal'));
      const logged = v.recorded(seq !== null && seq === Number(r.auditSeq), `no audit entry (sign.evm-tx, deny, unknown_principal) for ${requestId}`);
      return { result: `${String(r.status)} [${codes.join(', ')}], nothing signed`, auditSeq: seq, logged };
    },
  },
  {
    id: 'H8b',
    attacker: 'admin',
    attack: 'admin-3 proposes a whitelist entry with its own token, then approves it with its own key',
    expected: '403 approval rejected: requester_cannot_approve',
    async run(w, v) {
      const m = w.main;
      const proposed = await m.request('POST', '/v1/whitelist/proposals', m.tokens.admin, { group: 'hot', chainId: 31337, address: w.addr.stranger, label: 'insider' });
      v.expect(proposed.status === 201 && proposed.json.proposedBy === 'admin-3', `setup: proposal got ${proposed.status}, proposedBy ${String(proposed.json.proposedBy)}`);
      const id = String(proposed.json.proposalId);
      const head = await m.auditHead();
      const self = person(w.people.admins, 'admin-3');
      const expiresAt = Math.floor(Date.now() / 1000) + 600;
      const statement = encodeWhitelistStatement(m.deviceId, { id, group: 'hot', chainId: 31337n, address: bytes(w.addr.stranger), label: 'insider', proposedBy: '' }, self.id, expiresAt);
      const r = await m.request('POST', `/v1/whitelist/proposals/${id}/approvals`, m.tokens.admin, {
        adminId: self.id,
        expiresAt,
        signature: '0x' + Buffer.from(signStatement(self, statement)).toString('hex'),
      });
      const err = problemFields(r.json);
      v.expect(r.status === 403 && err.details?.why === 'requester_cannot_approve', `expected 403 requester_cannot_approve, got ${r.status} ${String(err.details?.why ?? err.code)}`);
      const after = (await m.request('GET', '/v1/whitelist?limit=1000', m.tokens.orchestrator)).json;
      v.expect(!((after.entries ?? []) as Json[]).some((e) => String(e.address).toLowerCase() === w.addr.stranger.toLowerCase()), 'the stranger is on the whitelist');
      const seq = await m.findAudit(head, (p) => p.kind === 'whitelist.approve' && p.proposalId === id && p.outcome === 'rejected');
      const logged = v.recorded(seq !== null, `no audit entry (whitelist.approve, rejected) for ${id}`);
      return { result: `${r.status} ${String(err.code)} (${String(err.details?.why)}), proposal still pending`, auditSeq: seq, logged };
    },
  },
  {
    id: 'H8c',
    attacker: 'bridge',
    attack: 'proposes a whitelist entry in the name of the orchestrator principal (not an admin)',
    expected: 'denied [requester: requester_not_allowed], audited',
    async run(w, v) {
      const m = w.main;
      const head = await m.auditHead();
      const err = await m.client.call('whitelist.propose', { requester: 'orchestrator', group: 'hot', chainId: 31337n, address: bytes(w.addr.stranger), label: 'forged' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const details = (err instanceof ApplianceError ? err.details : undefined) as Json | undefined;
      v.expect(err instanceof ApplianceError && err.code === 'denied' && details?.code === 'requester_not_allowed', `expected denied requester_not_allowed, got ${String(err)}`);
      const seq = await m.findAudit(head, (p) => p.kind === 'whitelist.propose' && p.outcome === 'rejected' && p.requester === 'orchestrator');
      v.expect(
        (await m.auditSince(head)).every((p) => !(p.kind === 'whitelist.propose' && p.outcome !== 'rejected')),
        'a proposal was stored',
      );
      const logged = v.recorded(seq !== null && seq === Number(details?.auditSeq), 'no audit entry (whitelist.propose, rejected) for the forged proposal');
      return { result: `denied (${String(details?.code)}), no proposal stored`, auditSeq: seq, logged };
    },
  },
  {
    id: 'H12',
    attacker: 'orchestrator',
    attack: "watches /v1/events for another requester's requests and the admin feed",
    expected: 'its own requests only: no hold, no request of alice',
    async run(w, v) {
      const m = w.main;
      const ac = new AbortController();
      const res = await m.app.request('/v1/events', { headers: { Authorization: `Bearer ${m.tokens.orchestrator}` }, signal: ac.signal });
      v.expect(res.status === 200 && res.body !== null, `setup: /v1/events answered ${res.status}`);
      const head = await m.auditHead();
      await m.request('POST', '/v1/whitelist/proposals', m.tokens.admin, { group: 'vault', chainId: 31337, address: w.addr.spender, label: 'watched' });
      const theirs = await m.sign('hot-1', tx(w.addr.stranger, ETH / 10n, w.freshNonce()), { token: m.tokens.alice });
      const mine = await m.sign('hot-1', tx(w.addr.stranger, ETH / 10n, w.freshNonce()));
      v.expect(theirs.status === 403 && mine.status === 403, `setup: both requests should be denied, got ${theirs.status} and ${mine.status}`);
      const seen = await readEvents(res.body!, 6000, (got) => got.some((e) => e.data.requestId === mine.json.requestId));
      ac.abort();
      v.expect(
        seen.some((e) => e.data.requestId === mine.json.requestId),
        'the orchestrator did not get its own denial',
      );
      const foreign = seen.filter((e) => e.data.requester !== 'orchestrator');
      v.expect(foreign.length === 0, `the orchestrator saw ${foreign.map((e) => `${e.type}#${e.seq}`).join(', ')}`);
      const seq = await m.findAudit(head, (p) => p.kind === 'sign.evm-tx' && p.requestId === theirs.json.requestId && p.requester === 'alice');
      const logged = v.recorded(seq !== null, "alice's denied request has no audit entry");
      return { result: `${seen.length} event(s), all its own; alice's request (audit #${String(seq)}) not shown`, auditSeq: seq, logged };
    },
  },
  {
    id: 'H12b',
    attacker: 'admin',
    attack: 'a vault entry is cancelled in its hold; after its activeAt, do the events call it active?',
    expected: 'whitelist.cancelled, never hold_ended; a transfer to it: not_whitelisted',
    async run(w, v) {
      const m = w.main;
      // A feed on the attacker-proof clock of this scenario, against the real appliance's log.
      let nowMs = Date.now();
      const timers: (() => void)[] = [];
      const feed = new AuditEventFeed({ appliance: m.client, pollMs: 3_600_000, now: () => nowMs, setTimer: (fn) => timers.push(fn), clearTimer: () => undefined });
      const got: BridgeEvent[] = [];
      feed.subscribe((e) => got.push(e));
      await feed.start();
      const accepted = await m.whitelist(w.addr.spender, 'vault');
      const proposalId = String(accepted.proposalId);
      const head = await m.auditHead();
      for (const admin of w.people.admins.slice(0, 2)) {
        const expiresAt = Math.floor(Date.now() / 1000) + 600;
        const sig = signStatement(admin, encodeWhitelistCancelStatement(m.deviceId, proposalId, admin.id, expiresAt));
        const r = await m.request('POST', `/v1/whitelist/proposals/${proposalId}/cancel`, m.tokens.admin, { adminId: admin.id, expiresAt, signature: '0x' + Buffer.from(sig).toString('hex') });
        v.expect(r.status === 200, `setup: cancel by ${admin.id} got ${r.status}`);
      }
      await feed.pollNow();
      nowMs += 86_401 * 1000; // the hold's day passes on the feed's clock
      for (const fire of timers.splice(0)) fire();
      await feed.pollNow();
      await feed.pollNow();
      feed.stop();
      const types = got.filter((e) => e.data.proposalId === proposalId).map((e) => e.type);
      v.expect(types.includes('whitelist.cancelled'), `no whitelist.cancelled event (saw ${types.join(', ')})`);
      v.expect(!types.includes('whitelist.hold_ended'), 'a hold_ended event calls the cancelled entry active');
      const r = await m.sign('vault-1', tx(w.addr.spender, ETH / 10n, w.freshNonce()));
      v.expect(r.status === 403 && reasonCodes(r.json).includes('not_whitelisted'), `a transfer to the cancelled address got ${r.status} [${reasonCodes(r.json).join(', ')}]`);
      const seq = await m.findAudit(head, (p) => p.kind === 'whitelist.cancel' && p.proposalId === proposalId && p.outcome === 'cancelled');
      const logged = v.recorded(seq !== null, 'no whitelist.cancel (cancelled) entry');
      return { result: `events: ${types.join(', ')}; transfer ${r.status} [${reasonCodes(r.json).join(', ')}]`, auditSeq: seq, logged };
    },
  },
  {
    id: 'H8d',
    attacker: 'orchestrator',
    attack: 'an admin-scope token bound to the orchestrator principal generates a key and reads the device time; then the bridge names it in key.generate',
    expected: '403 role_not_held at the bridge; key.generate denied [requester_not_allowed], audited; no key',
    async run(w, v) {
      const m = w.main;
      const keysBefore = ((await m.client.call('key.list', {})).keys as unknown[]).length;
      const head = await m.auditHead();
      const b = bridgeWithToken(m, 'h8d-admin-on-requester', ['admin'], 'orchestrator');
      const codes: string[] = [];
      for (const [method, path, body] of [
        ['POST', '/v1/keys', { label: 'h8d', group: 'hot' }],
        ['GET', '/v1/device/time', undefined],
      ] as const) {
        const r = await b.request(method, path, body);
        const err = problemFields(r.json);
        codes.push(`${r.status} ${String(err.details?.code)}`);
        v.expect(r.status === 403 && err.details?.code === 'role_not_held', `${path}: expected 403 role_not_held, got ${r.status} ${String(err.details?.code ?? err.code)}`);
      }
      v.expect((await m.auditHead()) === head, 'the bridge let a refused token reach the appliance');
      const err = await m.client.call('key.generate', { requester: 'orchestrator', label: 'h8d-forged', group: 'hot' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const details = (err instanceof ApplianceError ? err.details : undefined) as Json | undefined;
      v.expect(err instanceof ApplianceError && err.code === 'denied' && details?.code === 'requester_not_allowed', `expected denied requester_not_allowed, got ${String(err)}`);
      v.expect(((await m.client.call('key.list', {})).keys as unknown[]).length === keysBefore, 'a key was generated');
      const seq = await m.findAudit(head, (p) => p.kind === 'key.generate' && p.outcome === 'rejected' && p.requester === 'orchestrator');
      const logged = v.recorded(seq !== null && seq === Number(details?.auditSeq), 'no audit entry (key.generate, rejected) for the forged requester');
      return { result: `bridge: ${codes.join(', ')}; appliance: denied (${String(details?.code)}), no key`, auditSeq: seq, logged };
    },
  },
  {
    id: 'H8e',
    attacker: 'orchestrator',
    attack: 'an auditor-scope token bound to a requester (not in the auditors) reads the audit log and the event feed; then the bridge names it in policy.activate',
    expected: '403 role_not_held at the bridge; policy.activate denied [requester_not_allowed], audited',
    async run(w, v) {
      const m = w.main;
      const head = await m.auditHead();
      const b = bridgeWithToken(m, 'h8e-auditor-on-requester', ['auditor'], 'alice');
      const codes: string[] = [];
      for (const path of ['/v1/audit?limit=5', '/v1/events']) {
        const r = await b.request('GET', path);
        const err = problemFields(r.json);
        codes.push(`${r.status} ${String(err.details?.code)}`);
        v.expect(r.status === 403 && err.details?.code === 'role_not_held', `${path}: expected 403 role_not_held, got ${r.status} ${String(err.details?.code ?? err.code)}`);
      }
      const version = await m.activePolicyVersion();
      const err = await m.client.call('policy.activate', { requester: 'alice', proposalId: 'pp-0000000000000000' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const details = (err instanceof ApplianceError ? err.details : undefined) as Json | undefined;
      v.expect(err instanceof ApplianceError && err.code === 'denied' && details?.code === 'requester_not_allowed', `expected denied requester_not_allowed, got ${String(err)}`);
      v.expect((await m.activePolicyVersion()) === version, 'the policy changed');
      const seq = await m.findAudit(head, (p) => p.kind === 'policy.activate' && p.outcome === 'rejected' && p.requester === 'alice');
      const logged = v.recorded(seq !== null && seq === Number(details?.auditSeq), 'no audit entry (policy.activate, rejected) for the non-admin');
      return { result: `bridge: ${codes.join(', ')}; appliance: denied (${String(details?.code)}), policy unchanged`, auditSeq: seq, logged };
    },
  },
  {
    id: 'H12c',
    attacker: 'orchestrator',
    attack: "reads alice's request (status, approvals, signed raw tx) with GET /v1/requests/:id; then the bridge claims the approver role for it",
    expected: '404 not_found, the same as for an id never used; the refusal audited',
    async run(w, v) {
      const m = w.main;
      const theirs = await m.sign('hot-1', tx(w.addr.recipient, ETH / 10n, w.freshNonce()), { token: m.tokens.alice });
      v.expect(theirs.status === 200 && typeof theirs.json.requestId === 'string', `setup: alice's transfer got ${theirs.status}`);
      const requestId = String(theirs.json.requestId);
      const head = await m.auditHead();
      const r = await m.request('GET', `/v1/requests/${requestId}`, m.tokens.orchestrator);
      const never = await m.request('GET', `/v1/requests/${m.newRequestId('never-used')}`, m.tokens.orchestrator);
      const err = problemFields(r.json);
      v.expect(r.status === 404 && err.code === 'not_found' && err.message === problemFields(never.json).message, `expected 404 not_found like an unused id, got ${r.status} ${String(err.code)}`);
      v.expect(!JSON.stringify(r.json).includes(String(theirs.json.rawTransaction)) && r.json.requester === undefined, 'the answer carries the request');
      const forged = await m.client.call('request.get', { requestId, viewer: 'orchestrator', role: 'approver' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      v.expect(forged instanceof ApplianceError && forged.code === 'not_found', `a viewer claiming a role it lacks got ${String(forged)}`);
      const seq = await m.findAudit(head, (p) => p.kind === 'refusal' && p.command === 'request.get' && p.subject === requestId && p.code === 'not_found');
      const logged = v.recorded(seq !== null && seq === Number(err.details?.auditSeq), 'no audit entry (refusal of request.get, not_found) for the read');
      return { result: `${r.status} ${String(err.code)}; forged role: ${String(forged instanceof ApplianceError ? forged.code : forged)}`, auditSeq: seq, logged };
    },
  },
  {
    id: 'H12d',
    attacker: 'host user',
    attack: "pushes the bridge host's clock past a vault entry's activeAt while the device still holds it: does the feed call the hold ended?",
    expected: 'no whitelist.hold_ended while the device holds it; a transfer to it: whitelist_hold',
    async run(w, v) {
      const m = w.main;
      let nowMs = Date.now();
      const timers: (() => void)[] = [];
      const feed = new AuditEventFeed({ appliance: m.client, pollMs: 1000, now: () => nowMs, setTimer: (fn) => timers.push(fn), clearTimer: () => undefined });
      const got: BridgeEvent[] = [];
      feed.subscribe((e) => got.push(e));
      await feed.start();
      const head = await m.auditHead();
      const held = randomAddress();
      const accepted = await m.whitelist(held, 'vault');
      const proposalId = String(accepted.proposalId);
      await feed.pollNow();
      nowMs += 3 * 86_400 * 1000; // days past activeAt on the bridge host; the device's time is its own
      for (let i = 0; i < 3; i++) {
        for (const fire of timers.splice(0)) fire();
        await feed.pollNow();
        await new Promise((r) => setTimeout(r, 50)); // the whitelist.list answer arrives
      }
      feed.stop();
      const types = got.filter((e) => e.data.proposalId === proposalId).map((e) => e.type);
      v.expect(types.includes('whitelist.hold_started'), `setup: no hold_started (saw ${types.join(', ')})`);
      v.expect(!types.includes('whitelist.hold_ended'), 'hold_ended while the device still holds the address');
      const r = await m.sign('vault-1', tx(held, ETH / 10n, w.freshNonce()));
      v.expect(r.status === 403 && reasonCodes(r.json).includes('whitelist_hold'), `a transfer to the held address got ${r.status} [${reasonCodes(r.json).join(', ')}]`);
      const seq = await m.findAudit(head, (p) => p.kind === 'sign.evm-tx' && p.requestId === r.json.requestId && p.outcome === 'deny');
      const logged = v.recorded(seq !== null, 'no audit entry (sign.evm-tx, deny) for the held transfer');
      return { result: `events: ${types.join(', ')}; transfer ${r.status} [${reasonCodes(r.json).join(', ')}]`, auditSeq: seq, logged };
    },
  },
];
