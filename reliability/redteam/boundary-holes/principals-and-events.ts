// Red-team scenarios for issue 11, items 8 (who asked is a policy principal, not the bridge's word) and
// 12 (events tell the truth), through the real bridge app, the appliance process and its SoftHSM2 token.
import { encodeWhitelistCancelStatement, encodeWhitelistStatement } from '../../../firmware-policy/whitelist-governance.js';
import { AuditEventFeed, type BridgeEvent } from '../../../host-bridge/events.js';
import { signStatement } from '../../../cli/approver-key.js';
import { ApplianceError } from '../../../protocol/errors.js';
import { ETH, person, reasonCodes, tx, type Json } from '../harness.js';
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
        tx: { type: 'eip1559', chainId: BigInt(t.chainId), nonce: BigInt(t.nonce), to: bytes(t.to), value: BigInt(t.value), gasLimit: BigInt(t.gasLimit), maxFeePerGas: BigInt(t.maxFeePerGas), maxPriorityFeePerGas: BigInt(t.maxPriorityFeePerGas) },
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
      const r = await m.request('POST', `/v1/whitelist/proposals/${id}/approvals`, m.tokens.admin, { adminId: self.id, expiresAt, signature: '0x' + Buffer.from(signStatement(self, statement)).toString('hex') });
      const err = (r.json.error ?? {}) as Json;
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
      v.expect((await m.auditSince(head)).every((p) => !(p.kind === 'whitelist.propose' && p.outcome !== 'rejected')), 'a proposal was stored');
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
      v.expect(seen.some((e) => e.data.requestId === mine.json.requestId), 'the orchestrator did not get its own denial');
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
];
