// Red-team scenarios for issue 11, items 8 (who asked is a policy principal, not the bridge's word) and
// 12 (events tell the truth), through the real bridge app, the appliance process and its SoftHSM2 token.
import { encodeWhitelistStatement } from '../../../firmware-policy/whitelist-governance.js';
import { signStatement } from '../../../cli/approver-key.js';
import { ApplianceError } from '../../../protocol/errors.js';
import { ETH, person, reasonCodes, tx, type Json } from '../harness.js';
import type { Scenario } from '../scenario.js';

const bytes = (h: string) => new Uint8Array(Buffer.from(h.slice(2), 'hex'));

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
];
