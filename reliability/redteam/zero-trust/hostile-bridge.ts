// Red-team scenarios for issue 12 ("zero-trust host"): the bridge process itself is hostile. It talks
// to the real appliance process (SoftHSM2 token) on its socket, as the bridge does, and forges, alters,
// re-targets or replays signed requests on a device whose "hot" group requires signed requests and
// whose policy requires signed proposals. Each must be refused with its typed reason and audited.
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { CborMap } from '../../../protocol/cbor.js';
import { ApplianceError } from '../../../protocol/errors.js';
import { toWireArgs } from '../../../protocol/commands/command.js';
import type { PolicyJson } from '../../../host-bridge/policy-json.js';
import { requestStatement, adminRequestStatement } from '../../../host-bridge/request-stamp-client.js';
import { signEvmTxParams } from '../../../host-bridge/sign-params.js';
import { whitelistProposeParams } from '../../../host-bridge/admin-params.js';
import { publicPart, signStatement } from '../../../cli/approver-key.js';
import { encodeTimeStatement } from '../../../firmware-policy/time-statement.js';
import { CHAIN_ID, ETH, randomAddress, reasonCodes, tx, type Json, type RedteamDevice } from '../harness.js';
import type { Outcome, Scenario, Verdict } from '../scenario.js';
import type { World } from '../world.js';

/** The orchestrator's request key: only the orchestrator holds it; the policy holds its public half. */
const orchSecret = p256.keygen().secretKey;

function zeroTrustPolicy(w: World): PolicyJson {
  return {
    defaultHoldSeconds: 0,
    changeDelaySeconds: 3600,
    maxApprovalLifetimeSeconds: 3600,
    adminQuorum: 2,
    admins: w.people.admins.map(publicPart),
    approvers: w.people.approvers.map(publicPart),
    requesters: [{ id: 'orchestrator', alg: 'ES256', publicKey: `0x${bytesToHex(p256.getPublicKey(orchSecret, false))}` }, { id: 'alice' }],
    auditors: [{ id: 'auditor' }],
    requireSignedProposals: true,
    groups: {
      hot: {
        chains: [CHAIN_ID],
        whitelistRequired: false,
        holdSeconds: 0,
        assets: { [`${CHAIN_ID}:native`]: { perTxMax: (10n * ETH).toString(), windows: [], approvalTiers: [] } },
        requireSignedRequests: true,
      },
    },
  };
}

const devices = new WeakMap<World, Promise<RedteamDevice>>();
/** One device for the Z scenarios, made on first use. */
function ztDevice(w: World): Promise<RedteamDevice> {
  let d = devices.get(w);
  if (!d) {
    d = w.device('zt', zeroTrustPolicy(w), [{ label: 'hot-1', group: 'hot' }]);
    devices.set(w, d);
  }
  return d;
}

async function deviceTime(d: RedteamDevice): Promise<Json> {
  const r = await d.request('GET', '/v1/device/time', d.tokens.admin);
  if (r.status !== 200) throw new Error(`device time: ${r.status} ${r.text.slice(0, 160)}`);
  return r.json;
}

/** What the orchestrator sends for a 0.1 ETH transfer: the body and its stamp (hex signature). */
function orchestratorRequest(d: RedteamDevice, w: World, requestId: string, expiresAt: number) {
  const body = { keyId: d.key('hot-1').keyId, transaction: tx(w.addr.recipient, ETH / 10n, w.freshNonce()) };
  const statement = requestStatement({ deviceId: d.deviceId, command: 'sign.evm-tx', body, requester: 'orchestrator', requestId, expiresAt });
  const stamp = { expiresAt, signature: p256.sign(sha256(statement), orchSecret, { prehash: false, format: 'der' }) };
  return { body, stamp, args: toWireArgs(signEvmTxParams(body, 'orchestrator', requestId)) };
}

/** The hostile bridge sends `args` straight to the appliance; judged: denied with `code`, nothing signed, its entry found. */
async function judgeSocketDenied(d: RedteamDevice, v: Verdict, args: CborMap, code: string): Promise<Outcome> {
  const head = await d.auditHead();
  const answer = (await d.client.call('sign.evm-tx', args)) as Json;
  const codes = reasonCodes(answer);
  v.expect(answer.status === 'denied', `expected status denied, got ${String(answer.status)}`);
  v.expect(codes.includes(code), `expected reason ${code}, got [${codes.join(', ')}]`);
  v.expect(answer.rawTransaction === undefined, 'the answer carries a signature');
  v.expect(await d.noSignatureSince(head), 'the audit log records a signature made since the attack');
  const seq = await d.findAudit(head, (p) => p.kind === 'sign.evm-tx' && p.outcome === 'deny' && p.requesterProof === 'named' && reasonCodes(p).includes(code));
  const logged = v.recorded(seq !== null && seq === Number(answer.auditSeq), `no audit entry (sign.evm-tx, deny, ${code}) at the answer's auditSeq`);
  return { result: `denied [${codes.join(', ')}], nothing signed`, auditSeq: seq, logged };
}

const wireStamp = (s: { expiresAt: number; signature: Uint8Array }): CborMap => ({ expiresAt: s.expiresAt, signature: s.signature });

export const hostileBridgeScenarios: Scenario[] = [
  {
    id: 'Z1',
    attacker: 'bridge',
    attack: "the bridge forges a 0.1 ETH transfer in a signed-requests group in the orchestrator's name, stamped with a key of its own",
    expected: 'denied: request_bad_signature; sign.evm-tx deny entry, requester only named; nothing signed',
    async run(w, v) {
      const d = await ztDevice(w);
      const now = Number((await deviceTime(d)).time);
      const { args } = orchestratorRequest(d, w, d.newRequestId('forged'), now + 600);
      const bridgeKey = p256.keygen().secretKey;
      const forged = { ...args, stamp: { expiresAt: now + 600, signature: p256.sign(new Uint8Array(32).fill(1), bridgeKey, { prehash: false, format: 'der' }) } };
      return judgeSocketDenied(d, v, forged, 'request_bad_signature');
    },
  },
  {
    id: 'Z1b',
    attacker: 'bridge',
    attack: "the bridge alters the orchestrator's stamped 0.1 ETH transfer to 9 ETH, keeping the stamp",
    expected: 'denied: request_bad_signature (the stamp covers the arguments); audited; nothing signed',
    async run(w, v) {
      const d = await ztDevice(w);
      const now = Number((await deviceTime(d)).time);
      const requestId = d.newRequestId('altered');
      const { body, stamp } = orchestratorRequest(d, w, requestId, now + 600);
      const altered = toWireArgs(signEvmTxParams({ ...body, transaction: { ...body.transaction, value: (9n * ETH).toString() } }, 'orchestrator', requestId));
      return judgeSocketDenied(d, v, { ...altered, stamp: wireStamp(stamp) }, 'request_bad_signature');
    },
  },
  {
    id: 'Z1c',
    attacker: 'bridge',
    attack: "the bridge moves the orchestrator's stamp onto another request id, another key id, and another requester (alice)",
    expected: 'each denied: request_bad_signature (requester with no key: requester_has_no_key); audited; nothing signed',
    async run(w, v) {
      const d = await ztDevice(w);
      const now = Number((await deviceTime(d)).time);
      const requestId = d.newRequestId('meant');
      const { body, stamp, args } = orchestratorRequest(d, w, requestId, now + 600);
      const cases: [CborMap, string][] = [
        [{ ...args, requestId: d.newRequestId('retarget'), stamp: wireStamp(stamp) }, 'request_bad_signature'],
        [
          {
            ...toWireArgs(signEvmTxParams({ ...body, keyId: 'k-00' }, 'orchestrator', requestId)),
            keyId: d.key('hot-1').keyId,
            tx: { ...(args.tx as CborMap), nonce: w.freshNonce() },
            stamp: wireStamp(stamp),
          },
          'request_bad_signature',
        ],
        [{ ...args, requester: 'alice', requestId: d.newRequestId('alice'), stamp: wireStamp(stamp) }, 'requester_has_no_key'],
      ];
      const results: string[] = [];
      let first: Outcome | undefined;
      for (const [a, code] of cases) {
        const o = await judgeSocketDenied(d, v, a, code);
        first ??= o;
        if (!o.logged) first = o;
        results.push(o.result);
      }
      return { result: results.join('; '), auditSeq: first!.auditSeq, logged: first!.logged };
    },
  },
  {
    id: 'Z1d',
    attacker: 'bridge',
    attack: "the bridge holds the orchestrator's stamped request (valid 4 min) and replays it once the device's attested time has passed its expiry",
    expected: 'denied: request_expired; audited; nothing signed',
    async run(w, v) {
      const d = await ztDevice(w);
      const t = await deviceTime(d);
      const now = Number(t.time);
      const { args, stamp } = orchestratorRequest(d, w, d.newRequestId('held'), now + 240);
      // The device's own time moves on by 290 s (an admin-quorum time statement, as the product allows,
      // within its tolerance of the host clock), past the stamp's expiry.
      const target = now + 290;
      const nonce = String(t.nonce);
      const n = new Uint8Array(Buffer.from(nonce.slice(2), 'hex'));
      const expiresAt = Math.floor(Date.now() / 1000) + 600;
      const approvals = w.people.admins
        .slice(0, 2)
        .map((a) => ({ adminId: a.id, expiresAt, signature: '0x' + Buffer.from(signStatement(a, encodeTimeStatement(d.deviceId, { nonce: n, time: target }, a.id, expiresAt))).toString('hex') }));
      const moved = await d.request('POST', '/v1/device/time/attestations', d.tokens.admin, { time: target, nonce, approvals });
      if (moved.status !== 200) throw new Error(`setup: time attestation got ${moved.status} ${moved.text.slice(0, 200)}`);
      return judgeSocketDenied(d, v, { ...args, stamp: wireStamp(stamp) }, 'request_expired');
    },
  },
  {
    id: 'Z1e',
    attacker: 'bridge',
    attack: "the bridge forges a whitelist proposal in admin-1's name (unsigned, stamped with its own key, and with admin-3's stamp moved onto admin-1)",
    expected: '403 denied: request_unsigned / request_bad_signature; whitelist.propose rejected entries; nothing proposed',
    async run(w, v) {
      const d = await ztDevice(w);
      const now = Number((await deviceTime(d)).time);
      const address = randomAddress();
      const body = { group: 'hot', chainId: CHAIN_ID, address, label: 'forged', requestId: d.newRequestId('proposal') };
      const admin3 = w.people.admins[2]!;
      const admin3Stamp = signStatement(admin3, adminRequestStatement({ command: 'whitelist.propose', deviceId: d.deviceId, body, requester: 'admin-3', expiresAt: now + 600 }));
      const bridgeKey = p256.keygen().secretKey;
      const args = toWireArgs(whitelistProposeParams(body, 'admin-1'));
      const cases: [CborMap, string][] = [
        [toWireArgs(whitelistProposeParams({ ...body, requestId: undefined }, 'admin-1')), 'request_unsigned'],
        [{ ...args, stamp: { expiresAt: now + 600, signature: p256.sign(new Uint8Array(32).fill(2), bridgeKey, { prehash: false, format: 'der' }) } }, 'request_bad_signature'],
        [{ ...args, stamp: { expiresAt: now + 600, signature: admin3Stamp } }, 'request_bad_signature'],
      ];
      const head = await d.auditHead();
      const seen: string[] = [];
      let seq: number | null = null;
      let logged = true;
      for (const [a, code] of cases) {
        const err = await d.client.call('whitelist.propose', a).then(
          () => undefined,
          (e: unknown) => e,
        );
        const ok = v.expect(err instanceof ApplianceError && err.code === 'denied', `expected denied, got ${String(err)}`);
        const details = (ok ? (err as ApplianceError).details : {}) as Json;
        v.expect(details.code === code, `expected ${code}, got ${String(details.code)}`);
        seen.push(String(details.code));
        const found = await d.findAudit(head, (p) => p.kind === 'whitelist.propose' && p.outcome === 'rejected' && p.requester === 'admin-1' && Number(p.seq) === Number(details.auditSeq));
        logged = v.recorded(found !== null, `no whitelist.propose rejected entry for ${code}`) && logged;
        seq ??= found;
      }
      v.expect(
        (await d.auditSince(head)).every((p) => !(p.kind === 'whitelist.propose' && p.proposalId !== undefined)),
        'a proposal was made',
      );
      return { result: `denied [${seen.join(', ')}], nothing proposed`, auditSeq: seq, logged };
    },
  },
];
