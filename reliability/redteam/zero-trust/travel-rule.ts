// Red-team scenario for the travel rule (issue 14 item 3): the orchestrator itself is compromised and
// holds its valid request key. Its stamp verifies, so only the firmware rule stands between it and a
// transfer above the asset's travelRuleAbove that names no travel-rule payload: the appliance must deny
// it (travel_rule_missing), audit it with the requester verified, and sign nothing.
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { PolicyJson } from '../../../host-bridge/policy-json.js';
import { requestStatement } from '../../../host-bridge/request-stamp-client.js';
import { publicPart } from '../../../cli/approver-key.js';
import { CHAIN_ID, ETH, reasonCodes, tx } from '../harness.js';
import type { Scenario } from '../scenario.js';
import type { World } from '../world.js';

/** The compromised orchestrator's own, valid request key. */
const orchSecret = p256.keygen().secretKey;

function travelRulePolicy(w: World): PolicyJson {
  return {
    defaultHoldSeconds: 0,
    adminQuorum: 2,
    admins: w.people.admins.map(publicPart),
    approvers: w.people.approvers.map(publicPart),
    requesters: [{ id: 'orchestrator', alg: 'ES256', publicKey: `0x${bytesToHex(p256.getPublicKey(orchSecret, false))}` }, { id: 'alice' }],
    auditors: [{ id: 'auditor' }],
    groups: {
      hot: {
        chains: [CHAIN_ID],
        whitelistRequired: false,
        holdSeconds: 0,
        assets: { [`${CHAIN_ID}:native`]: { perTxMax: (10n * ETH).toString(), windows: [], approvalTiers: [], travelRuleAbove: ETH.toString() } },
        requireSignedRequests: true,
      },
    },
  };
}

export const travelRuleScenarios: Scenario[] = [
  {
    id: 'Z1f',
    attacker: 'orchestrator',
    attack: 'the orchestrator, with its valid request key, stamps a 2 ETH transfer (travelRuleAbove 1 ETH) that names no travel-rule hash',
    expected: 'denied: travel_rule_missing; sign.evm-tx deny entry with the requester verified; nothing signed',
    async run(w, v) {
      const d = await w.device('travel', travelRulePolicy(w), [{ label: 'hot-1', group: 'hot' }]);
      const time = await d.request('GET', '/v1/device/time', d.tokens.admin);
      if (time.status !== 200) throw new Error(`device time: ${time.status}`);
      const expiresAt = Number(time.json.time) + 600;
      const requestId = d.newRequestId('no-travel-rule');
      const body = { keyId: d.key('hot-1').keyId, transaction: tx(w.addr.recipient, 2n * ETH, w.freshNonce()) };
      const statement = requestStatement({ deviceId: d.deviceId, command: 'sign.evm-tx', body, requester: 'orchestrator', requestId, expiresAt });
      const stamp = { expiresAt, signature: `0x${bytesToHex(p256.sign(sha256(statement), orchSecret, { prehash: false, format: 'der' }))}` };
      const head = await d.auditHead();
      const r = await d.request('POST', '/v1/sign/evm-transaction', d.tokens.orchestrator, { ...body, stamp }, { 'Idempotency-Key': requestId });
      const codes = reasonCodes(r.json);
      v.expect(r.status === 403 && r.json.status === 'denied', `expected 403 denied, got ${r.status} ${String(r.json.status)}`);
      v.expect(codes.length === 1 && codes[0] === 'travel_rule_missing', `expected [travel_rule_missing], got [${codes.join(', ')}]`);
      v.expect(r.json.rawTransaction === undefined, 'the answer carries a signature');
      v.expect(await d.noSignatureSince(head), 'the audit log records a signature made since the attack');
      const seq = await d.findAudit(head, (p) => p.kind === 'sign.evm-tx' && p.outcome === 'deny' && p.requesterProof === 'verified' && reasonCodes(p).includes('travel_rule_missing'));
      const logged = v.recorded(seq !== null && seq === Number(r.json.auditSeq), "no audit entry (sign.evm-tx, deny, travel_rule_missing, verified) at the answer's auditSeq");
      return { result: `${r.status} denied [${codes.join(', ')}] with the stamp verified, nothing signed`, auditSeq: seq, logged };
    },
  },
];
