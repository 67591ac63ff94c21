// Red-team scenarios against the approval quorum: a genuine approval replayed onto another intent,
// another device or after its expiry; one approver counted twice; a requester approving itself; an
// approver removed by a policy change. The attacker holds the bridge (it relays every approval body)
// or is one approver.
import { approvalBody, ETH, person, tx, type Json, type RedteamDevice } from './harness.js';
import { judgeRejectedApproval, requestState } from './judge.js';
import type { Scenario } from './scenario.js';
import { mainPolicy, type World } from './world.js';

/** A 2 ETH transfer from hot-1 to the whitelisted recipient: above 1 ETH it needs two approvers. */
async function pending(dev: RedteamDevice, w: World, opts: { token?: string } = {}): Promise<{ requestId: string; digest: string }> {
  const requestId = dev.newRequestId('pending');
  const r = await dev.sign('hot-1', tx(w.addr.recipient, 2n * ETH, w.freshNonce()), { requestId, ...(opts.token ? { token: opts.token } : {}) });
  if (r.status !== 202) throw new Error(`setup: expected 202 pending approval, got ${r.status} ${r.text.slice(0, 200)}`);
  return { requestId, digest: String(r.json.intentDigest) };
}

const approved = (j: Json) => ((j.approvedBy ?? []) as string[]).join(',') || 'none';

export const approvalScenarios: Scenario[] = [
  {
    id: '4a',
    attacker: 'bridge',
    attack: "replay carol's approval of one request onto another",
    expected: '403 approval rejected: bad_signature',
    async run(w, v) {
      const m = w.main;
      const carol = person(w.people.approvers, 'carol');
      const first = await pending(m, w);
      const other = await pending(m, w);
      const genuine = approvalBody(carol, m.deviceId, first.digest);
      const ok = await m.approve(first.requestId, genuine);
      v.expect(ok.status === 202 && approved(ok.json) === 'carol', `setup: carol's own approval got ${ok.status} (${approved(ok.json)})`);
      const head = await m.auditHead();
      const r = await m.approve(other.requestId, genuine);
      const j = await judgeRejectedApproval(m, v, head, r, other.requestId, 'carol', 'bad_signature');
      return { result: `${j.text}; other request still 0/2`, auditSeq: j.seq, logged: j.seq !== null };
    },
  },
  {
    id: '4b',
    attacker: 'bridge',
    attack: 'replay an approval made on a second device',
    expected: '403 approval rejected: bad_signature',
    async run(w, v) {
      const m = w.main;
      const carol = person(w.people.approvers, 'carol');
      // A second device with the same approvers; carol approves a request there, for real.
      const second = await w.device('second', mainPolicy(w.people, w.addr.token), [{ label: 'hot-1', group: 'hot' }]);
      try {
        await second.whitelist(w.addr.recipient, 'hot');
        const there = await pending(second, w);
        const genuine = approvalBody(carol, second.deviceId, there.digest);
        const ok = await second.approve(there.requestId, genuine);
        v.expect(ok.status === 202 && approved(ok.json) === 'carol', `setup: carol's approval on the second device got ${ok.status}`);
        const here = await pending(m, w);
        const head = await m.auditHead();
        const replay = await judgeRejectedApproval(m, v, head, await m.approve(here.requestId, genuine), here.requestId, 'carol', 'bad_signature');
        // Even over this very intent digest, a statement naming the other device does not count here.
        const head2 = await m.auditHead();
        const named = approvalBody(carol, second.deviceId, here.digest);
        const sameDigest = await judgeRejectedApproval(m, v, head2, await m.approve(here.requestId, named), here.requestId, 'carol', 'bad_signature');
        return { result: `${replay.text}; same digest, other device id: ${sameDigest.text}`, auditSeq: replay.seq, logged: replay.seq !== null && sameDigest.seq !== null };
      } finally {
        await second.stop();
      }
    },
  },
  {
    id: '4c',
    attacker: 'bridge',
    attack: "replay bob's approval after its expiry",
    expected: '403 approval rejected: expired',
    async run(w, v) {
      const m = w.main;
      const p = await pending(m, w);
      const stale = approvalBody(person(w.people.approvers, 'bob'), m.deviceId, p.digest, { expiresAt: Math.floor(Date.now() / 1000) - 60 });
      const head = await m.auditHead();
      const j = await judgeRejectedApproval(m, v, head, await m.approve(p.requestId, stale), p.requestId, 'bob', 'expired');
      return { result: `${j.text}, expired 60 s ago`, auditSeq: j.seq, logged: j.seq !== null };
    },
  },
  {
    id: '5',
    attacker: 'approver',
    attack: 'bob approves twice, then signs as carol',
    expected: 'counted once (1/2); 403 bad_signature',
    async run(w, v) {
      const m = w.main;
      const bob = person(w.people.approvers, 'bob');
      const p = await pending(m, w);
      const once = await m.approve(p.requestId, approvalBody(bob, m.deviceId, p.digest));
      v.expect(once.status === 202 && approved(once.json) === 'bob', `setup: bob's approval got ${once.status}`);
      const head = await m.auditHead();
      const twice = await m.approve(p.requestId, approvalBody(bob, m.deviceId, p.digest));
      v.expect(twice.status === 202 && approved(twice.json) === 'bob' && Number(twice.json.required) === 2, `second approval by bob: ${twice.status} approvedBy ${approved(twice.json)}`);
      const asCarol = approvalBody(bob, m.deviceId, p.digest, { approverId: 'carol' });
      const j = await judgeRejectedApproval(m, v, head, await m.approve(p.requestId, asCarol), p.requestId, 'carol', 'bad_signature');
      const state = await requestState(m, p.requestId);
      v.expect(approved(state) === 'bob', `request counts ${approved(state)}`);
      return { result: `again: 202 (${approved(twice.json)} of 2); as carol: ${j.text}`, auditSeq: j.seq, logged: j.seq !== null };
    },
  },
  {
    id: '6',
    attacker: 'approver',
    attack: 'alice requests a transfer, then approves it',
    expected: '403 approval rejected: requester_cannot_approve',
    async run(w, v) {
      const m = w.main;
      const p = await pending(m, w, { token: m.tokens.alice });
      const head = await m.auditHead();
      const self = approvalBody(person(w.people.approvers, 'alice'), m.deviceId, p.digest);
      const j = await judgeRejectedApproval(m, v, head, await m.approve(p.requestId, self), p.requestId, 'alice', 'requester_cannot_approve');
      return { result: j.text, auditSeq: j.seq, logged: j.seq !== null };
    },
  },
  {
    id: '7',
    attacker: 'approver',
    attack: 'carol approves, then is removed by a policy change',
    expected: 'her approval stops counting; new ones: unknown_approver',
    async run(w, v) {
      const m = w.main;
      const [bob, carol] = [person(w.people.approvers, 'bob'), person(w.people.approvers, 'carol')];
      const p = await pending(m, w);
      const before = await m.approve(p.requestId, approvalBody(carol, m.deviceId, p.digest));
      v.expect(before.status === 202 && approved(before.json) === 'carol', `setup: carol's approval got ${before.status}`);
      // The admins remove carol: a tightening, so it applies at once with the quorum.
      const without = JSON.parse(JSON.stringify(w.policy)) as typeof w.policy;
      without.approvers = without.approvers.filter((a) => a.id !== 'carol');
      const proposal = await m.proposePolicy(without);
      if (proposal.status !== 201) throw new Error(`setup: proposal got ${proposal.status} ${proposal.text.slice(0, 200)}`);
      let last = proposal;
      for (const admin of w.people.admins.slice(0, 2)) last = await m.approvePolicy(proposal.json, admin);
      v.expect(last.json.status === 'active', `setup: removing carol is ${String(last.json.status)}, not active at once`);
      w.policy = without;
      const head = await m.auditHead();
      const withBob = await m.approve(p.requestId, approvalBody(bob, m.deviceId, p.digest));
      v.expect(withBob.status === 202 && approved(withBob.json) === 'bob', `bob + removed carol: ${withBob.status} approvedBy ${approved(withBob.json)}`);
      v.expect(await m.noSignatureSince(head), 'a signature was made');
      const seq = await m.findAudit(
        head,
        (e) =>
          e.kind === 'request.approve' &&
          e.requestId === p.requestId &&
          e.outcome === 'needs_approval' &&
          ((e.rejectedApprovals ?? []) as Json[]).some((x) => x.approverId === 'carol' && x.why === 'unknown_approver'),
      );
      // A fresh approval from her is refused outright.
      const q = await pending(m, w);
      const head2 = await m.auditHead();
      const j = await judgeRejectedApproval(m, v, head2, await m.approve(q.requestId, approvalBody(carol, m.deviceId, q.digest)), q.requestId, 'carol', 'unknown_approver');
      const logged = v.recorded(seq !== null, "no audit entry shows carol's stored approval rejected as unknown_approver") && j.seq !== null;
      return { result: `202 (${approved(withBob.json)} of 2, carol dropped); new approval: ${j.text}`, auditSeq: seq, logged };
    },
  },
];
