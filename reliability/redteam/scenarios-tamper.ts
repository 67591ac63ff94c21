// Red-team scenarios against the device's storage: a host user (root on the appliance's machine)
// stops the appliance, edits state.db with SQLite, and starts it again. Each runs on a throwaway
// device of its own, so a device that (rightly) refuses after the edit disturbs no other scenario.
//
// The contract (sealed state): after the edit, a sign request is refused with
// ApplianceError('denied', …, { rule: 'sealed-state', code: 'state_tampered', findings: [...] }) (through
// the bridge: 403 with error.details.code "state_tampered"), and the audit log holds an entry
// { kind: 'tamper.detected', findings }.
import Database from 'better-sqlite3';
import type { PolicyJson } from '../../host-bridge/policy-json.js';
import { publicPart } from '../../cli/approver-key.js';
import type { Outcome, Scenario, Verdict } from './scenario.js';
import { CHAIN_ID, ETH, reasonCodes, tx, type RedteamDevice, type Reply } from './harness.js';
import type { World } from './world.js';

/** One key in group "hot": at most 1 ETH per hour, the recipient whitelisted with no hold. */
function tamperPolicy(w: World): PolicyJson {
  return {
    adminQuorum: 2,
    admins: w.people.admins.map(publicPart),
    approvers: [],
    // The ids the harness's tokens are bound to (the auditor reads the log through the bridge).
    requesters: [{ id: 'orchestrator' }],
    auditors: [{ id: 'auditor' }],
    groups: {
      hot: {
        chains: [CHAIN_ID],
        whitelistRequired: true,
        holdSeconds: 0,
        assets: { [`${CHAIN_ID}:native`]: { perTxMax: ETH.toString(), windows: [{ seconds: 3600, maxAmount: ETH.toString(), maxCount: 100 }], approvalTiers: [] } },
      },
    },
  };
}

async function throwaway(w: World, name: string): Promise<RedteamDevice> {
  const d = await w.device(name, tamperPolicy(w), [{ label: 'hot-1', group: 'hot' }]);
  await d.whitelist(w.addr.recipient, 'hot');
  return d;
}

/** Stops the appliance, edits its database, starts it again. */
async function editOffline(d: RedteamDevice, edit: (db: Database.Database) => void): Promise<void> {
  await d.restart(() => {
    const db = new Database(d.paths.stateDb);
    try {
      edit(db);
    } finally {
      db.close();
    }
  });
}

/** The refusal the sealed state promises, and its tamper.detected entry after `head` (the pre-edit head). */
async function judgeTampered(d: RedteamDevice, v: Verdict, head: number, r: Reply): Promise<Outcome> {
  const details = (r.json.details ?? {}) as { rule?: string; code?: string; findings?: unknown[] };
  const signed = r.status === 200 && r.json.status === 'signed';
  v.expect(r.status === 403 && r.json.code === 'denied', `expected 403 denied, got ${r.status} ${String(r.json.status ?? r.json.code)} [${reasonCodes(r.json).join(', ')}]`);
  v.expect(details.rule === 'sealed-state' && details.code === 'state_tampered', `expected sealed-state/state_tampered, got ${String(details.rule)}/${String(details.code)}`);
  v.expect(Array.isArray(details.findings) && details.findings.length > 0, 'the refusal names no findings');
  v.expect(!signed, 'the edited device signed');
  const entries = await d.auditSince(0);
  const hit = entries.find((p) => Number(p.seq) > head && p.kind === 'tamper.detected' && Array.isArray(p.findings) && p.findings.length > 0);
  const seq = hit ? Number(hit.seq) : null;
  const logged = v.recorded(seq !== null, 'no tamper.detected audit entry');
  const result = signed
    ? `${r.status} signed: the edit went unnoticed`
    : `${r.status} ${String(r.json.code ?? r.json.status)} ${String(details.code ?? reasonCodes(r.json).join(','))}${details.findings ? ` (${details.findings.length} findings)` : ''}`;
  return { result, auditSeq: seq, logged };
}

export const tamperScenarios: Scenario[] = [
  {
    id: '16',
    attacker: 'host user',
    attack: 'lower a spend row in state.db to reopen the window',
    expected: '403 sealed-state/state_tampered + tamper.detected',
    async run(w, v) {
      const d = await throwaway(w, 'tamper-db');
      try {
        const first = await d.sign('hot-1', tx(w.addr.recipient, ETH, 0));
        if (first.status !== 200) throw new Error(`setup: the first transfer got ${first.status}`);
        const full = await d.sign('hot-1', tx(w.addr.recipient, ETH, 1));
        if (!reasonCodes(full.json).includes('window_amount')) throw new Error(`setup: the window did not bind (${full.status})`);
        const head = await d.auditHead();
        const keyId = d.key('hot-1').keyId;
        let changed = 0;
        await editOffline(d, (db) => {
          changed = db.prepare("UPDATE spend SET amount = '0', cum_amount = '0' WHERE key_id = ?").run(keyId).changes;
        });
        if (changed !== 1) throw new Error(`setup: ${changed} spend rows edited`);
        const r = await d.sign('hot-1', tx(w.addr.recipient, ETH, 1));
        return await judgeTampered(d, v, head, r);
      } finally {
        await d.stop();
      }
    },
  },
  {
    id: '17',
    attacker: 'host user',
    attack: "flip a bit of the tx hash in the signed transfer's audit entry",
    expected: '403 sealed-state/state_tampered + tamper.detected',
    async run(w, v) {
      const d = await throwaway(w, 'tamper-log');
      try {
        const first = await d.sign('hot-1', tx(w.addr.recipient, ETH / 2n, 0));
        if (first.status !== 200) throw new Error(`setup: the transfer got ${first.status}`);
        const head = await d.auditHead();
        // The entry recording the signature names its tx hash: one bit of it changes, the CBOR stays valid.
        const txHash = Buffer.from(String(first.json.txHash).slice(2), 'hex');
        let edited = false;
        await editOffline(d, (db) => {
          const row = db.prepare('SELECT seq, entry FROM audit WHERE seq = ?').get(Number(first.json.auditSeq)) as { seq: number; entry: Buffer } | undefined;
          const entry = Buffer.from(row?.entry ?? []);
          const at = entry.indexOf(txHash);
          if (!row || at < 0) return;
          entry[at + 31] = entry[at + 31]! ^ 0x01;
          edited = db.prepare('UPDATE audit SET entry = ? WHERE seq = ?').run(entry, row.seq).changes === 1;
        });
        if (!edited) throw new Error('setup: the signed entry was not found or not edited');
        const r = await d.sign('hot-1', tx(w.addr.recipient, ETH / 4n, 1));
        return await judgeTampered(d, v, head, r);
      } finally {
        await d.stop();
      }
    },
  },
];
