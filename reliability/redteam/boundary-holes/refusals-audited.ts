// Red-team scenarios for issue 11, item 10: every refusal of a well-framed command is audited (the
// answer names the entry's seq), and a flood of identical refusals adds a bounded number of entries
// whose count adds up (docs/auditors.md "Refusals in the audit log").
import { signStatement } from '../../../cli/approver-key.js';
import { encodePolicyCancelStatement } from '../../../firmware-policy/policy-governance.js';
import { encodeWhitelistCancelStatement } from '../../../firmware-policy/whitelist-governance.js';
import { approvalBody, CHAIN_ID, ETH, person, randomAddress, rejectedWhy, tx, type Json, type RedteamDevice, type Reply } from '../harness.js';
import { commandFrame, errorCode, exchange } from '../raw-socket.js';
import { requestState } from '../judge.js';
import type { Outcome, Scenario, Verdict } from '../scenario.js';
import type { World } from '../world.js';

const hex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');
const expiry = () => Math.floor(Date.now() / 1000) + 600;

/**
 * A refusal answered with `status` and `code`, whose details name an audit entry that records it:
 * kind "refusal", this command and code, and (when given) this requester and subject.
 */
async function judgeAuditedRefusal(
  m: RedteamDevice,
  v: Verdict,
  head: number,
  r: { status: number; code: string | undefined; auditSeq: unknown },
  want: { status: number; code: string; command: string; requester?: string; subject?: string },
): Promise<Outcome & { entry: Json | undefined }> {
  v.expect(r.status === want.status && r.code === want.code, `expected ${want.status} ${want.code}, got ${r.status} ${String(r.code)}`);
  v.expect(await m.noSignatureSince(head), 'the audit log records a signature made since the attack');
  const seq = typeof r.auditSeq === 'number' ? r.auditSeq : null;
  const entry = seq === null ? undefined : (await m.auditSince(seq - 1)).find((p) => Number(p.seq) === seq);
  const matches =
    entry !== undefined &&
    entry.kind === 'refusal' &&
    entry.command === want.command &&
    entry.code === want.code &&
    (want.requester === undefined || entry.requester === want.requester) &&
    (want.subject === undefined || entry.subject === want.subject);
  const logged = v.recorded(
    seq !== null && seq > head && matches,
    `no refusal entry (${want.command}, ${want.code}) named by the answer (auditSeq ${String(r.auditSeq)}, entry ${JSON.stringify(entry ?? null).slice(0, 160)})`,
  );
  return { result: `${r.status} ${String(r.code)}, audited at seq ${String(seq)}`, auditSeq: seq, logged, entry };
}

const fromReply = (r: Reply) => ({ status: r.status, code: r.json.code as string | undefined, auditSeq: r.json.details?.auditSeq as unknown });

/** A vault address whitelisted by the quorum and still in its day-long hold. */
async function entryInHold(w: World): Promise<{ proposalId: string; address: string }> {
  const address = randomAddress();
  const p = await w.main.whitelist(address, 'vault');
  if (p.status !== 'accepted') throw new Error(`setup: whitelist proposal is ${String(p.status)}`);
  return { proposalId: String(p.proposalId), address };
}

/** admin-1's key signing a whitelist cancel in admin-2's name (a forged cancel). */
function forgedWhitelistCancel(w: World, proposalId: string, as = 'admin-2') {
  const expiresAt = expiry();
  return { adminId: as, expiresAt, signature: hex(signStatement(person(w.people.admins, 'admin-1'), encodeWhitelistCancelStatement(w.main.deviceId, proposalId, as, expiresAt))) };
}

async function stillWhitelisted(m: RedteamDevice, address: string): Promise<boolean> {
  const list = await m.request('GET', '/v1/whitelist?limit=1000', m.tokens.orchestrator);
  return ((list.json.entries ?? []) as Json[]).some((e) => String(e.address).toLowerCase() === address.toLowerCase());
}

export const refusalsAuditedScenarios: Scenario[] = [
  {
    id: 'H10',
    attacker: 'admin',
    attack: "one admin cancels a whitelist entry in its hold with a cancel forged in admin-2's name",
    expected: '403 denied bad_signature; entry stays; refusal audited',
    async run(w, v) {
      const m = w.main;
      const { proposalId, address } = await entryInHold(w);
      const head = await m.auditHead();
      const r = await m.request('POST', `/v1/whitelist/proposals/${proposalId}/cancel`, m.tokens.admin, forgedWhitelistCancel(w, proposalId));
      v.expect(r.json.details?.why === 'bad_signature', `why: ${String(r.json.details?.why)}`);
      const j = await judgeAuditedRefusal(m, v, head, fromReply(r), { status: 403, code: 'denied', command: 'whitelist.cancel', requester: 'admin-2', subject: proposalId });
      v.expect(j.entry?.details?.why === 'bad_signature', `the entry records why ${String(j.entry?.details?.why)}`);
      v.expect(await stillWhitelisted(m, address), 'the whitelist entry was cancelled');
      return { ...j, result: `${j.result}; entry still in its hold` };
    },
  },
  {
    id: 'H10b',
    attacker: 'admin',
    attack: "one admin cancels another's policy proposal with a cancel forged in admin-2's name",
    expected: '403 denied bad_signature; proposal stays; refusal audited',
    async run(w, v) {
      const m = w.main;
      const next = JSON.parse(JSON.stringify(w.policy)) as typeof w.policy;
      next.groups.hot!.assets[`${CHAIN_ID}:native`]!.perTxMax = (11n * ETH).toString();
      const proposed = await m.proposePolicy(next);
      if (proposed.status !== 201) throw new Error(`setup: proposal got ${proposed.status} ${proposed.text.slice(0, 200)}`);
      const pid = String(proposed.json.proposalId);
      const head = await m.auditHead();
      const expiresAt = expiry();
      const forged = { adminId: 'admin-2', expiresAt, signature: hex(signStatement(person(w.people.admins, 'admin-1'), encodePolicyCancelStatement(m.deviceId, pid, 'admin-2', expiresAt))) };
      const r = await m.request('POST', `/v1/policy/proposals/${pid}/cancel`, m.tokens.admin, forged);
      v.expect(r.json.details?.why === 'bad_signature', `why: ${String(r.json.details?.why)}`);
      const j = await judgeAuditedRefusal(m, v, head, fromReply(r), { status: 403, code: 'denied', command: 'policy.cancel', requester: 'admin-2', subject: pid });
      const after = await m.request('GET', `/v1/policy/proposals/${pid}`, m.tokens.auditor);
      v.expect(after.json.status === 'pending', `the proposal is ${String(after.json.status)}`);
      // Clean up with one genuine cancel (a cancel needs one admin), so no proposal is left pending.
      const realExp = expiry();
      const admin1 = person(w.people.admins, 'admin-1');
      await m.request('POST', `/v1/policy/proposals/${pid}/cancel`, m.tokens.admin, {
        adminId: 'admin-1',
        expiresAt: realExp,
        signature: hex(signStatement(admin1, encodePolicyCancelStatement(m.deviceId, pid, 'admin-1', realExp))),
      });
      return { ...j, result: `${j.result}; proposal stayed pending` };
    },
  },
  {
    id: 'H10c',
    attacker: 'orchestrator',
    attack: 'reuse an idempotency key for a different transfer',
    expected: '422 conflict (idempotency_key_reused); nothing signed; refusal audited',
    async run(w, v) {
      const m = w.main;
      const requestId = m.newRequestId('h10c');
      const first = await m.sign('hot-1', tx(w.addr.recipient, 2n * ETH, w.freshNonce()), { requestId });
      v.expect(first.status === 202, `setup: first request got ${first.status}`);
      const head = await m.auditHead();
      const r = await m.sign('hot-1', tx(w.addr.stranger, 2n * ETH, w.freshNonce()), { requestId });
      const j = await judgeAuditedRefusal(m, v, head, fromReply(r), { status: 422, code: 'conflict', command: 'sign.evm-tx', subject: requestId });
      v.expect(r.json.details?.code === 'idempotency_key_reused', `details.code: ${String(r.json.details?.code)}`);
      const state = await requestState(m, requestId);
      v.expect(state.status === 'pending_approval', `the first request is ${String(state.status)}`);
      return j;
    },
  },
  {
    id: 'H10d',
    attacker: 'bridge',
    attack: 'well-framed sign.evm-tx whose tx fails the decoder (nonce as text), on the socket',
    expected: 'bad_request naming "nonce"; refusal audited',
    async run(w, v) {
      const m = w.main;
      const head = await m.auditHead();
      const requestId = m.newRequestId('h10d');
      const ex = await exchange(
        m.paths.socket,
        commandFrame(1, 'sign.evm-tx', { requestId, requester: 'orchestrator', keyId: m.key('hot-1').keyId, tx: { type: 'eip1559', chainId: CHAIN_ID, nonce: 'zero' } }),
        1,
      );
      const answer = ex.responses[0];
      const err = (answer?.error ?? {}) as Json;
      v.expect(/"nonce"/.test(String(err.message)), `message: ${String(err.message)}`);
      return judgeAuditedRefusal(
        m,
        v,
        head,
        { status: answer?.ok === false ? 400 : 0, code: errorCode(answer), auditSeq: err.details?.auditSeq },
        { status: 400, code: 'bad_request', command: 'sign.evm-tx', subject: requestId },
      );
    },
  },
  {
    id: 'H10e',
    attacker: 'approver',
    attack: 'bob approves the same request twice',
    expected: 'counted once (202); the duplicate audited',
    async run(w, v) {
      const m = w.main;
      const requestId = m.newRequestId('h10e');
      const p = await m.sign('hot-1', tx(w.addr.recipient, 2n * ETH, w.freshNonce()), { requestId });
      v.expect(p.status === 202, `setup: request got ${p.status}`);
      const bob = person(w.people.approvers, 'bob');
      const once = await m.approve(requestId, approvalBody(bob, m.deviceId, String(p.json.intentDigest)));
      v.expect(once.status === 202, `setup: bob's approval got ${once.status}`);
      const head = await m.auditHead();
      const twice = await m.approve(requestId, approvalBody(bob, m.deviceId, String(p.json.intentDigest)));
      v.expect(twice.status === 202 && ((twice.json.approvedBy ?? []) as string[]).join() === 'bob', `again: ${twice.status} approvedBy ${JSON.stringify(twice.json.approvedBy)}`);
      v.expect(await m.noSignatureSince(head), 'the audit log records a signature made since the attack');
      const seq = await m.findAudit(head, (e) => e.kind === 'request.approve' && e.requestId === requestId && e.outcome === 'rejected' && rejectedWhy(e) === 'duplicate');
      const logged = v.recorded(seq !== null, 'no audit entry (request.approve, rejected, duplicate)');
      return { result: `again: ${twice.status}, counted once; duplicate audited at seq ${String(seq)}`, auditSeq: seq, logged };
    },
  },
  {
    id: 'H10f',
    attacker: 'admin',
    attack: 'flood the log: 1,001 identical forged whitelist cancels',
    expected: 'every one 403 and audited; log grows by 2 (1 entry + 1 count of 1000)',
    async run(w, v) {
      const m = w.main;
      const { proposalId, address } = await entryInHold(w);
      const body = forgedWhitelistCancel(w, proposalId, 'admin-3');
      const head = await m.auditHead();
      const answers: Reply[] = [];
      for (let i = 0; i < 1001; i += 77) {
        const n = Math.min(77, 1001 - i);
        answers.push(...(await Promise.all(Array.from({ length: n }, () => m.request('POST', `/v1/whitelist/proposals/${proposalId}/cancel`, m.tokens.admin, body)))));
      }
      const seqs = new Set(answers.map((r) => r.json.details?.auditSeq));
      v.expect(answers.length === 1001 && answers.every((r) => r.status === 403 && r.json.details?.why === 'bad_signature'), 'not every cancel was refused as bad_signature');
      // One entry for all of them, after the head read before the flood (the device's own timer may
      // have logged something else in between: counts of earlier refusals whose window ended).
      const first = Number([...seqs][0]);
      v.expect(seqs.size === 1 && first > head, `the answers name seqs [${[...seqs].join(', ')}], expected one entry after ${head}`);
      const added = await m.auditSince(head);
      const mine = added.filter((e) => (e.kind === 'refusal' && e.subject === proposalId) || (e.kind === 'refusal.repeated' && e.firstSeq === first));
      const counted = mine.filter((e) => e.kind === 'refusal.repeated');
      v.expect(mine.length === 2 && counted.length === 1, `the flood added ${mine.length} entries (${mine.map((e) => e.kind).join(', ')})`);
      v.expect(Number(counted[0]?.repeats) === 1000, `the count says ${String(counted[0]?.repeats)} repeats, expected 1000`);
      v.expect(await stillWhitelisted(m, address), 'the whitelist entry was cancelled');
      const logged = v.recorded(mine[0]?.seq === first && counted[0]?.refusalDigest === mine[0]?.refusalDigest, 'the first refusal and its count are not linked in the log');
      return {
        result: `1001 x 403 bad_signature; log +${mine.length}: refusal at ${first}, refusal.repeated x${String(counted[0]?.repeats)} at ${String(counted[0]?.seq)}`,
        auditSeq: first,
        logged,
      };
    },
  },
  {
    id: 'H10g',
    attacker: 'orchestrator',
    attack:
      'grow the log by size: 20 typed-data requests (new request ids) whose message carries an unknown field with a 4,000-character name (the most the bridge passes), which the refusal would record',
    expected: 'every one 400 bad_request and audited; each refusal entry stays under 2 KB',
    async run(w, v) {
      const m = w.main;
      const head = await m.auditHead();
      const long = 'k'.repeat(4000);
      const typedData = {
        types: { EIP712Domain: [{ name: 'chainId', type: 'uint256' }], Mail: [{ name: 'a', type: 'uint256' }] },
        primaryType: 'Mail',
        domain: { chainId: CHAIN_ID },
        message: { a: '1', [long]: '1' },
      };
      const answers: Reply[] = [];
      for (let i = 0; i < 20; i++)
        answers.push(await m.request('POST', '/v1/sign/typed-data', m.tokens.orchestrator, { keyId: m.key('hot-1').keyId, typedData }, { 'Idempotency-Key': m.newRequestId('bigfield') }));
      v.expect(
        answers.every((r) => r.status === 400 && r.json.code === 'bad_request'),
        `answers: ${[...new Set(answers.map((r) => `${r.status} ${String(r.json.code)}`))].join(', ')}`,
      );
      const page = await m.request('GET', `/v1/audit?fromSeq=${head + 1}&limit=100`, m.tokens.auditor);
      const entries = (page.json.entries ?? []) as Json[];
      const refusals = entries.filter((e) => (e.payload as Json | undefined)?.kind === 'refusal' && (e.payload as Json).command === 'sign.typed-data');
      const sizes = refusals.map((e) => String(e.entry ?? '').length / 2);
      const largest = Math.max(0, ...sizes);
      v.expect(sizes.length >= 1 && largest < 2048, `refusal entries: ${sizes.length}, the largest ${largest} bytes`);
      v.expect(await m.noSignatureSince(head), 'a signature was made');
      const firstEntry = refusals[0];
      const first = firstEntry === undefined ? undefined : Number(firstEntry.seq);
      const logged = v.recorded(first !== undefined && first > head && sizes.length === 20, `refusal entries of sign.typed-data: ${sizes.length} for 20 refusals`);
      return { result: `20 x ${answers[0]?.status} ${String(answers[0]?.json.code)}; ${sizes.length} refusal entries, the largest ${largest} bytes`, auditSeq: first ?? null, logged };
    },
  },
];
