// Red-team scenarios for issue 11, items 7 (sizes never give a 500 or a crash) and 13 (strict forms
// at the edge). The bridge refuses these before anything reaches the appliance, so their record is
// the bridge's own request counter by status (GET /metrics, `hsm_bridge_requests_total`), beside an
// unchanged audit head; H7b reaches the appliance and is recorded in its audit log.
import type { Scenario } from '../scenario.js';
import { publicPart } from '../../../cli/approver-key.js';
import type { PolicyJson } from '../../../host-bridge/policy-json.js';
import { MAX_CALLDATA_BYTES, MAX_LISTED_CHANGES } from '../../../protocol/limits.js';
import { CHAIN_ID, ETH, tx, type RedteamDevice } from '../harness.js';

const MiB = 1 << 20;

/** The bridge's request counters with this status, summed over routes. */
async function counted(d: RedteamDevice, status: number): Promise<number> {
  const res = await d.app.request('/metrics');
  let n = 0;
  for (const line of (await res.text()).split('\n')) {
    const m = /^hsm_bridge_requests_total\{route="[^"]*",status="(\d+)"\} (\d+)$/.exec(line);
    if (m && Number(m[1]) === status) n += Number(m[2]);
  }
  return n;
}

/** A body stream of `total` bytes that counts how much of it the bridge pulled. */
function countingBody(total: number): { body: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (pulled >= total) return c.close();
      pulled += chunk.length;
      c.enqueue(chunk);
    },
  });
  return { body, pulled: () => pulled };
}

/** The address with the case of its first letter digit flipped: same bytes, wrong checksum. */
const flipCase = (a: string): string => {
  const i = a.slice(2).search(/[a-fA-F]/) + 2;
  const ch = a[i]!;
  return a.slice(0, i) + (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase()) + a.slice(i + 1);
};

/** One digit changed (a typo that names another account), case kept as it was. */
const typo = (a: string): string => {
  const i = a.slice(2).search(/[0-9]/) + 2;
  return a.slice(0, i) + String((Number(a[i]) + 1) % 10) + a.slice(i + 1);
};

export const sizesAndFormsScenarios: Scenario[] = [
  {
    id: 'H7',
    attacker: 'orchestrator',
    attack: 'a 40 MiB body (declared, then streamed), 4 MiB of hex calldata, 129 KiB of calldata',
    expected: '413 body_too_large unread x3; 400 bad_request; no 500',
    async run(w, v) {
      const m = w.main;
      const head = await m.auditHead();
      const before413 = await counted(m, 413);
      const before400 = await counted(m, 400);
      const before500 = await counted(m, 500);
      const headers = { Authorization: `Bearer ${m.tokens.orchestrator}`, 'Content-Type': 'application/json' };
      const results: string[] = [];
      // 1. 40 MiB declared by Content-Length, then 40 MiB streamed with none: count what the bridge pulls.
      for (const declared of [true, false]) {
        const b = countingBody(40 * MiB);
        const res = await m.app.request('/v1/sign/evm-transaction', {
          method: 'POST',
          headers: { ...headers, 'Idempotency-Key': m.newRequestId('huge'), ...(declared ? { 'Content-Length': String(40 * MiB) } : {}) },
          body: b.body,
          duplex: 'half',
        } as RequestInit);
        const code = ((await res.json()) as { code?: string }).code;
        v.expect(res.status === 413 && code === 'body_too_large', `${declared ? 'declared' : 'streamed'} 40 MiB: ${res.status} ${String(code)}`);
        v.expect(b.pulled() <= 1024 * 1024, `${declared ? 'declared' : 'streamed'} 40 MiB: the bridge read ${b.pulled()} bytes of it`);
        results.push(`${res.status} ${String(code)} after ${Math.round(b.pulled() / 1024)} KiB read`);
      }
      // 2. A 4 MiB hex data string (the old regex overflowed the stack on such strings: 500).
      const big = await m.sign('hot-1', tx(w.addr.recipient, 0n, w.freshNonce(), { data: '0x' + 'ab'.repeat(2 * MiB) }));
      v.expect(big.status === 413 && big.json.code === 'body_too_large', `4 MiB hex: ${big.status} ${String(big.json.code)}`);
      // 3. Calldata one byte over the 128 KiB cap, in a body under the route's cap.
      const over = await m.sign('hot-1', tx(w.addr.recipient, 0n, w.freshNonce(), { data: '0x' + '00'.repeat(MAX_CALLDATA_BYTES + 1) }));
      v.expect(over.status === 400 && over.json.code === 'bad_request' && over.json.details?.field === 'transaction.data', `129 KiB calldata: ${over.status} ${JSON.stringify(over.json)}`);
      results.push(`4 MiB hex: ${big.status}`, `129 KiB calldata: ${over.status} ${String(over.json.code)}`);
      v.expect((await m.auditHead()) === head, 'the audit head moved: something reached the appliance');
      v.expect((await counted(m, 500)) === before500, 'a 500 was answered');
      const n413 = (await counted(m, 413)) - before413;
      const n400 = (await counted(m, 400)) - before400;
      const logged = v.recorded(n413 >= 3 && n400 >= 1, `bridge counters: +${n413} x 413, +${n400} x 400`);
      return { result: `${results.join('; ')}; audit head unchanged`, auditSeq: `metrics: +${n413} x 413, +${n400} x 400`, logged };
    },
  },
  {
    id: 'H7b',
    attacker: 'admin',
    attack: 'propose a policy whose diff lists 30 000 changes (its answer was > 4 MiB: appliance died)',
    expected: '201 within the frame, 1000 changes listed; device keeps answering',
    async run(w, v) {
      const policy: PolicyJson = {
        adminQuorum: 2,
        admins: w.people.admins.map(publicPart),
        approvers: [],
        requesters: [{ id: 'orchestrator' }],
        auditors: [{ id: 'auditor' }],
        groups: { hot: { chains: [CHAIN_ID], whitelistRequired: true, holdSeconds: 0, assets: { [`${CHAIN_ID}:native`]: { perTxMax: ETH.toString(), windows: [], approvalTiers: [] } } } },
      };
      const d = await w.device('sizes', policy, [{ label: 'hot-1', group: 'hot' }]);
      try {
        const head = await d.auditHead();
        const selectors = Array.from({ length: 30_000 }, (_, i) => '0x' + i.toString(16).padStart(8, '0'));
        const big = { ...policy, groups: { hot: { ...policy.groups.hot!, contracts: [{ chainId: CHAIN_ID, address: w.addr.token, selectors }] } } };
        const r = await d.proposePolicy(big);
        const listed = Array.isArray(r.json.changes) ? r.json.changes.length : -1;
        v.expect(
          r.status === 201 && listed === MAX_LISTED_CHANGES && r.json.changeCount === 30_000,
          `propose: ${r.status} ${r.text.slice(0, 160)}; listed ${listed}, count ${String(r.json.changeCount)}`,
        );
        v.expect(d.applianceProcess.child.exitCode === null, `the appliance exited (${String(d.applianceProcess.child.exitCode)})`);
        const health = await d.client.call('health');
        v.expect(health.ready === true, 'the appliance does not answer the next command');
        const seq = await d.findAudit(head, (p) => p.kind === 'policy.propose' && p.proposalId === r.json.proposalId);
        const logged = v.recorded(seq !== null, 'no policy.propose entry for the proposal');
        return { result: `${r.status}: ${listed} of ${String(r.json.changeCount)} changes listed; appliance alive, health ready`, auditSeq: seq, logged };
      } finally {
        await d.stop();
      }
    },
  },
  {
    id: 'H13',
    attacker: 'orchestrator',
    attack: 'a whitelisted recipient with one letter case-flipped; a one-digit typo (mixed case)',
    expected: '400 bad_checksum x2; nothing signed',
    async run(w, v) {
      const m = w.main;
      const head = await m.auditHead();
      const before = await counted(m, 400);
      const codes: string[] = [];
      for (const to of [flipCase(w.addr.recipient), typo(w.addr.recipient)]) {
        const r = await m.sign('hot-1', tx(to, ETH / 10n, w.freshNonce()));
        v.expect(r.status === 400 && r.json.code === 'bad_checksum' && r.json.details?.field === 'transaction.to', `${to}: ${r.status} ${r.text.slice(0, 160)}`);
        codes.push(`${r.status} ${String(r.json.code)}`);
      }
      const wl = await m.request('POST', '/v1/whitelist/proposals', m.tokens.admin, { group: 'hot', chainId: CHAIN_ID, address: typo(w.addr.stranger) });
      v.expect(wl.status === 400 && wl.json.code === 'bad_checksum', `whitelist proposal: ${wl.status} ${String(wl.json.code)}`);
      codes.push(`whitelist ${wl.status} ${String(wl.json.code)}`);
      v.expect((await m.auditHead()) === head, 'the audit head moved: something reached the appliance');
      v.expect(await m.noSignatureSince(head), 'a signature was made');
      const n = (await counted(m, 400)) - before;
      const logged = v.recorded(n >= 3, `bridge counters: +${n} x 400`);
      return { result: `${codes.join('; ')}; audit head unchanged, nothing signed`, auditSeq: `metrics: +${n} x 400`, logged };
    },
  },
  {
    id: 'H13b',
    attacker: 'orchestrator',
    attack: 'quantities with leading zeros: value "0x00…", nonce "0x0…", chainId "0x07a69"',
    expected: '400 non_canonical x3; nothing signed',
    async run(w, v) {
      const m = w.main;
      const head = await m.auditHead();
      const before = await counted(m, 400);
      const t = tx(w.addr.recipient, ETH / 10n, w.freshNonce());
      const cases: [string, Record<string, unknown>][] = [
        ['transaction.value', { value: '0x00' + (ETH / 10n).toString(16) }],
        ['transaction.nonce', { nonce: '0x0' + t.nonce.toString(16) }],
        ['transaction.chainId', { chainId: '0x0' + CHAIN_ID.toString(16) }],
      ];
      const codes: string[] = [];
      for (const [field, over] of cases) {
        const r = await m.request(
          'POST',
          '/v1/sign/evm-transaction',
          m.tokens.orchestrator,
          { keyId: m.key('hot-1').keyId, transaction: { ...t, ...over } },
          { 'Idempotency-Key': m.newRequestId('zeros') },
        );
        v.expect(r.status === 400 && r.json.code === 'non_canonical' && r.json.details?.field === field, `${field}: ${r.status} ${r.text.slice(0, 160)}`);
        codes.push(`${r.status} ${String(r.json.code)}`);
      }
      v.expect((await m.auditHead()) === head, 'the audit head moved: something reached the appliance');
      v.expect(await m.noSignatureSince(head), 'a signature was made');
      const n = (await counted(m, 400)) - before;
      const logged = v.recorded(n >= cases.length, `bridge counters: +${n} x 400`);
      return { result: `${codes.join('; ')}; audit head unchanged, nothing signed`, auditSeq: `metrics: +${n} x 400`, logged };
    },
  },
];
