// Red-team scenarios against policy governance (DESIGN.md invariant 5): a loosening pushed by one
// compromised admin, a loosening with a real quorum activated before its time lock, and the
// whitelist turned off at once. In each, the old policy must keep deciding.
import type { PolicyJson } from '../../host-bridge/policy-json.js';
import { CHAIN_ID, ETH, person, reasonCodes, rejectedWhy, tx, type Reply } from './harness.js';
import { judgeDenied } from './judge.js';
import type { Scenario, Verdict } from './scenario.js';
import type { World } from './world.js';

const clone = (p: PolicyJson) => JSON.parse(JSON.stringify(p)) as PolicyJson;

/** The active policy with hot's per-transaction limit raised from 10 to 100 ETH. */
function looser(w: World): PolicyJson {
  const next = clone(w.policy);
  next.groups.hot!.assets[`${CHAIN_ID}:native`]!.perTxMax = (100n * ETH).toString();
  return next;
}

async function propose(w: World, v: Verdict, doc: PolicyJson): Promise<Reply> {
  const p = await w.main.proposePolicy(doc);
  if (p.status !== 201) throw new Error(`setup: proposal got ${p.status} ${p.text.slice(0, 200)}`);
  v.expect(p.json.stricter === false, 'the change is classed as stricter');
  return p;
}

/** A 20 ETH transfer: above the active 10 ETH limit, within the proposed 100 ETH one. */
async function overOldLimit(w: World, v: Verdict) {
  const head = await w.main.auditHead();
  return judgeDenied(w.main, v, head, await w.main.sign('hot-1', tx(w.addr.recipient, 20n * ETH, w.freshNonce())), 'per_tx_limit');
}

export const governanceScenarios: Scenario[] = [
  {
    id: '8a',
    attacker: 'admin',
    attack: 'one admin raises the limit: approves, again, then forges admin-2',
    expected: 'pending 1/2; 403 bad_signature; old limit holds',
    async run(w, v) {
      const m = w.main;
      const version = await m.activePolicyVersion();
      const p = await propose(w, v, looser(w));
      const admin1 = person(w.people.admins, 'admin-1');
      const once = await m.approvePolicy(p.json, admin1);
      const twice = await m.approvePolicy(p.json, admin1);
      v.expect(
        once.json.status === 'pending' && twice.json.status === 'pending' && (twice.json.approvedBy as string[]).join() === 'admin-1',
        `admin-1 twice: ${String(twice.json.status)} approvedBy ${JSON.stringify(twice.json.approvedBy)}`,
      );
      const head = await m.auditHead();
      const forged = await m.approvePolicy(p.json, admin1, 'admin-2');
      v.expect(forged.status === 403 && forged.json.code === 'denied' && forged.json.details?.why === 'bad_signature', `forged admin-2: ${forged.status} ${forged.text.slice(0, 160)}`);
      const activate = await m.request('POST', `/v1/policy/proposals/${String(p.json.proposalId)}/activate`, m.tokens.admin, {});
      v.expect(activate.json.status === 'pending', `activate: ${activate.status} ${String(activate.json.status ?? activate.json.code)}`);
      v.expect((await m.activePolicyVersion()) === version, 'the active policy version changed');
      const seq = await m.findAudit(head, (e) => e.kind === 'policy.approve' && e.proposalId === p.json.proposalId && e.outcome === 'rejected' && rejectedWhy(e) === 'bad_signature');
      const sign = await overOldLimit(w, v);
      const logged = v.recorded(seq !== null, 'no audit entry (policy.approve, rejected, bad_signature)') && sign.logged;
      return { result: `1/2 after two approvals by admin-1; forged: ${forged.status} ${String(forged.json.details?.why)}; 20 ETH: ${sign.result}`, auditSeq: seq, logged };
    },
  },
  {
    id: '8b',
    attacker: 'admin',
    attack: 'admin quorum raises the limit, activates before the time lock',
    expected: 'scheduled +3600 s; activate 409; old limit holds',
    async run(w, v) {
      const m = w.main;
      const version = await m.activePolicyVersion();
      const p = await propose(w, v, looser(w));
      let last = p;
      for (const admin of w.people.admins.slice(0, 2)) last = await m.approvePolicy(p.json, admin);
      const lock = Number(last.json.activateAfter) - Number(last.json.quorumAt);
      v.expect(last.json.status === 'scheduled' && lock === 3600, `after the quorum: ${String(last.json.status)}, time lock ${lock} s`);
      const activate = await m.request('POST', `/v1/policy/proposals/${String(p.json.proposalId)}/activate`, m.tokens.admin, {});
      v.expect(activate.status === 409 && activate.json.code === 'conflict', `activate: ${activate.status} ${activate.text.slice(0, 160)}`);
      v.expect((await m.activePolicyVersion()) === version, 'the active policy version changed');
      const sign = await overOldLimit(w, v);
      return { result: `scheduled (lock ${lock} s); activate ${activate.status} ${String(activate.json.code)}; 20 ETH: ${sign.result}`, auditSeq: sign.auditSeq, logged: sign.logged };
    },
  },
  {
    id: '9',
    attacker: 'admin',
    attack: "admin quorum turns vault's whitelist off at once",
    expected: 'scheduled for the 86400 s hold; not_whitelisted',
    async run(w, v) {
      const m = w.main;
      const version = await m.activePolicyVersion();
      const open = clone(w.policy);
      open.groups.vault!.whitelistRequired = false;
      const p = await propose(w, v, open);
      let last = p;
      for (const admin of w.people.admins.slice(0, 2)) last = await m.approvePolicy(p.json, admin);
      const wait = Number(last.json.activateAfter) - Number(last.json.quorumAt);
      v.expect(last.json.status === 'scheduled' && wait === 86_400, `after the quorum: ${String(last.json.status)}, waits ${wait} s (the vault hold is 86400 s)`);
      const activate = await m.request('POST', `/v1/policy/proposals/${String(p.json.proposalId)}/activate`, m.tokens.admin, {});
      v.expect(activate.status === 409 && activate.json.code === 'conflict', `activate: ${activate.status} ${activate.text.slice(0, 160)}`);
      v.expect((await m.activePolicyVersion()) === version, 'the active policy version changed');
      const head = await m.auditHead();
      const r = await m.sign('vault-1', tx(w.addr.stranger, ETH, w.freshNonce()));
      const o = await judgeDenied(m, v, head, r, 'not_whitelisted');
      return { ...o, result: `scheduled (waits ${wait} s); activate ${activate.status}; stranger: ${reasonCodes(r.json).join(',')}` };
    },
  },
];
