// Red-team scenarios for issue 11, item 5: the host clock moved forward (docs/device-time.md). A
// host user (root on the appliance's machine) restarts the appliance with its host clock ahead, by
// Debian's libfaketime or by the clock offset variable, to end a whitelist hold, a time lock or a
// rolling window early, or replays an admin time statement. Each runs on a throwaway device of its
// own, so a device whose time has been moved disturbs no other scenario.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { PolicyJson } from '../../../host-bridge/policy-json.js';
import { publicPart, signStatement, type ApproverKeyFile } from '../../../cli/approver-key.js';
import { encodeTimeStatement } from '../../../firmware-policy/time-statement.js';
import { faketimeEnv, libfaketimePath } from '../../faketime.js';
import type { Outcome, Scenario } from '../scenario.js';
import { CHAIN_ID, ETH, reasonCodes, tx, type Json, type RedteamDevice } from '../harness.js';
import { judgeDenied } from '../judge.js';
import type { World } from '../world.js';

const DAY = 86_400;
const AHEAD = 3 * DAY;

/** "hot": no hold, 1 ETH an hour. "vault": a day-long hold. A loosening waits a day. */
function clockPolicy(w: World, hotWindowMax = ETH): PolicyJson {
  const asset = (max: bigint) => ({ perTxMax: (10n * ETH).toString(), windows: [{ seconds: 3600, maxAmount: max.toString(), maxCount: 100 }], approvalTiers: [] });
  return {
    defaultHoldSeconds: DAY,
    changeDelaySeconds: DAY,
    adminQuorum: 2,
    admins: w.people.admins.map(publicPart),
    approvers: [],
    // The principals the harness's bridge tokens are bound to (one namespace with admins and approvers).
    requesters: [{ id: 'orchestrator' }, { id: 'alice' }],
    auditors: [{ id: 'auditor' }],
    groups: {
      hot: { chains: [CHAIN_ID], whitelistRequired: true, holdSeconds: 0, assets: { [`${CHAIN_ID}:native`]: asset(hotWindowMax) } },
      vault: { chains: [CHAIN_ID], whitelistRequired: true, holdSeconds: DAY, assets: { [`${CHAIN_ID}:native`]: asset(100n * ETH) } },
    },
  };
}

async function throwaway(w: World, name: string): Promise<RedteamDevice> {
  const d = await w.device(name, clockPolicy(w), [
    { label: 'hot-1', group: 'hot' },
    { label: 'vault-1', group: 'vault' },
  ]);
  await d.whitelist(w.addr.recipient, 'hot');
  await d.whitelist(w.addr.recipient, 'vault');
  return d;
}

const NO_FAKETIME: Outcome = { result: 'not run', auditSeq: null, logged: false, skipped: "Debian's faketime is not installed (make system-deps)" };

/** GET /v1/device/time (admin). */
async function deviceTime(d: RedteamDevice): Promise<Json> {
  const r = await d.request('GET', '/v1/device/time', d.tokens.admin);
  if (r.status !== 200) throw new Error(`device time: ${r.status} ${r.text.slice(0, 160)}`);
  return r.json;
}

/** Restarts under libfaketime +3 days and checks the appliance really reads the moved host clock. */
async function restartAhead(d: RedteamDevice): Promise<void> {
  await d.restart(undefined, faketimeEnv(`+${AHEAD}`));
  const t = await deviceTime(d);
  if (Number(t.hostAheadSeconds) < AHEAD - 300) throw new Error(`setup: libfaketime did not move the appliance's host clock (ahead ${String(t.hostAheadSeconds)} s)`);
}

/** A time statement body signed by `admins` for `time` over the device's `nonce`. */
function timeStatement(d: RedteamDevice, nonce: string, time: number, expiresAt: number, admins: ApproverKeyFile[]): Json {
  const n = new Uint8Array(Buffer.from(nonce.slice(2), 'hex'));
  return {
    time,
    nonce,
    approvals: admins.map((a) => ({ adminId: a.id, expiresAt, signature: '0x' + Buffer.from(signStatement(a, encodeTimeStatement(d.deviceId, { nonce: n, time }, a.id, expiresAt))).toString('hex') })),
  };
}

export const deviceClockScenarios: Scenario[] = [
  {
    id: 'H5',
    attacker: 'host user',
    attack: 'restart the appliance under libfaketime +3 days: sign to an address in its 1-day hold, activate a loosening before its 1-day time lock',
    expected: '403 whitelist_hold (audited); activate 409; policy unchanged',
    async run(w, v) {
      if (!libfaketimePath()) return NO_FAKETIME;
      const d = await throwaway(w, 'clock-ahead');
      try {
        const p = await d.proposePolicy(clockPolicy(w, 100n * ETH));
        let last = p;
        for (const admin of w.people.admins.slice(0, 2)) last = await d.approvePolicy(p.json, admin);
        if (last.json.status !== 'scheduled') throw new Error(`setup: the loosening is ${String(last.json.status)}, not scheduled`);
        const version = await d.activePolicyVersion();
        await restartAhead(d);
        const head = await d.auditHead();
        const r = await d.sign('vault-1', tx(w.addr.recipient, ETH, 0));
        const o = await judgeDenied(d, v, head, r, 'whitelist_hold');
        const activate = await d.request('POST', `/v1/policy/proposals/${String(p.json.proposalId)}/activate`, d.tokens.admin, {});
        v.expect(activate.status === 409 && activate.json.code === 'conflict', `activate: ${activate.status} ${activate.text.slice(0, 160)}`);
        v.expect((await d.activePolicyVersion()) === version, 'the loosening activated before its time lock');
        return { ...o, result: `host +3 d: vault ${r.status} [${reasonCodes(r.json).join(',')}]; activate ${activate.status}; policy v${version}; nothing signed` };
      } finally {
        await d.stop();
      }
    },
  },
  {
    id: 'H5b',
    attacker: 'host user',
    attack: 'replay an admin-quorum time statement the device already used (captured at the bridge)',
    expected: '403 device-time/stale_nonce + device.time.attest rejected entry; device time unchanged',
    async run(w, v) {
      if (!libfaketimePath()) return NO_FAKETIME;
      const d = await throwaway(w, 'clock-replay');
      try {
        await restartAhead(d);
        const t = await deviceTime(d);
        const body = timeStatement(d, String(t.nonce), Number(t.hostTime), Number(t.hostTime) + 600, w.people.admins.slice(0, 2));
        const first = await d.request('POST', '/v1/device/time/attestations', d.tokens.admin, body);
        if (first.status !== 200) throw new Error(`setup: the genuine statement got ${first.status} ${first.text.slice(0, 160)}`);
        const before = Number((await deviceTime(d)).time);
        const head = await d.auditHead();
        const r = await d.request('POST', '/v1/device/time/attestations', d.tokens.admin, body);
        const det = (r.json.details ?? {}) as Json;
        v.expect(r.status === 403 && r.json.code === 'denied', `expected 403 denied, got ${r.status} ${r.text.slice(0, 160)}`);
        v.expect(det.rule === 'device-time' && det.code === 'stale_nonce', `expected device-time/stale_nonce, got ${String(det.rule)}/${String(det.code)}`);
        const after = Number((await deviceTime(d)).time);
        v.expect(after - before < 60, `the device time moved by ${after - before} s`);
        v.expect(await d.noSignatureSince(head), 'something was signed');
        const seq = await d.findAudit(head, (p) => p.kind === 'device.time.attest' && p.outcome === 'rejected' && p.code === 'stale_nonce');
        const logged = v.recorded(seq !== null && seq === Number(det.auditSeq), "no device.time.attest rejected entry at the refusal's auditSeq");
        return { result: `${r.status} ${String(det.code)}; device time unchanged`, auditSeq: seq, logged };
      } finally {
        await d.stop();
      }
    },
  },
  {
    id: 'H5c',
    attacker: 'host user',
    attack: 'restart the appliance with HSM_CLOCK_OFFSET_SECONDS=+7200 to expire a full 1-hour window early',
    expected: '403 window_amount (audited)',
    async run(w, v) {
      const d = await throwaway(w, 'clock-window');
      try {
        const first = await d.sign('hot-1', tx(w.addr.recipient, ETH, 0));
        if (first.json.status !== 'signed') throw new Error(`setup: the first transfer got ${first.status} ${String(first.json.status)}`);
        const full = await d.sign('hot-1', tx(w.addr.recipient, ETH, 1));
        if (!reasonCodes(full.json).includes('window_amount')) throw new Error(`setup: the window did not bind (${full.status})`);
        await d.restart(undefined, { HSM_CLOCK_OFFSET_SECONDS: '7200' });
        const head = await d.auditHead();
        const r = await d.sign('hot-1', tx(w.addr.recipient, ETH, 1));
        const o = await judgeDenied(d, v, head, r, 'window_amount');
        return { ...o, result: `host +2 h: ${o.result}` };
      } finally {
        await d.stop();
      }
    },
  },
  {
    id: 'H5d',
    attacker: 'host user',
    attack: "start the appliance under libfaketime at +0, then rewrite libfaketime's offset file to +3 days while it runs (CLOCK_MONOTONIC jumps too), and sign to an address in its 1-day hold",
    expected: "403 whitelist_hold (audited); the device's own time does not jump",
    async run(w, v) {
      const lib = libfaketimePath();
      if (!lib) return NO_FAKETIME;
      const d = await throwaway(w, 'clock-jump');
      const file = join(mkdtempSync(join(tmpdir(), 'faketime-')), 'offset');
      try {
        writeFileSync(file, '+0\n');
        await d.restart(undefined, { LD_PRELOAD: lib, FAKETIME_TIMESTAMP_FILE: file, FAKETIME_NO_CACHE: '1' });
        const before = Number((await deviceTime(d)).time);
        writeFileSync(file, `+${AHEAD}\n`);
        const t = await deviceTime(d);
        if (Number(t.hostAheadSeconds) < AHEAD - 300) throw new Error(`setup: the rewritten offset did not move the running appliance's clock (ahead ${String(t.hostAheadSeconds)} s)`);
        const head = await d.auditHead();
        const r = await d.sign('vault-1', tx(w.addr.recipient, ETH, 0));
        const o = await judgeDenied(d, v, head, r, 'whitelist_hold');
        const jumped = Number(t.time) - before;
        v.expect(jumped < 300, `the device's own time jumped ${jumped} s with the host's clock`);
        return { ...o, result: `host clock jumped +3 d mid-run; device time moved ${jumped} s; vault ${r.status} [${reasonCodes(r.json).join(',')}]; nothing signed` };
      } finally {
        await d.stop();
        rmSync(dirname(file), { recursive: true, force: true });
      }
    },
  },
];
