// Red-team scenarios for issue 11, items 6 and 11.
// Item 6: an approval meant to outlive any decision (expiring in 10 years) must not count, for
// transfer approvers (H6) and admins (H6b); and a fresh approval replaces the same approver's
// expired one, audited, while a replay of the expired one is refused (H6c). Item 11: a token that
// answers with a signature which does not recover to the signing key gets nothing released (H11).
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CborMap } from '../../../protocol/cbor.js';
import { ApplianceError } from '../../../protocol/errors.js';
import { createDevice } from '../../../cli/device-create.js';
import { policyFromJson } from '../../../host-bridge/policy-json.js';
import { entryPayload } from '../../../cli/audit-tools.js';
import { signStatement } from '../../../cli/approver-key.js';
import { devicePaths, readDeviceConfig, readSecretFile } from '../../../softhsm-config/device-layout.js';
import { KeyStore } from '../../../appliance/keystore.js';
import { closeDevice, openDevice } from '../../../appliance/device.js';
import { dispatch } from '../../../appliance/dispatch.js';
import { runningMeasurement } from '../../../test/helpers/running-measurement.js';
import { SignatureRecoveryError } from '../../../firmware-policy/evm/secp256k1-signature.js';
import { encodeWhitelistStatement } from '../../../firmware-policy/whitelist-governance.js';
import { approvalBody, CHAIN_ID, ETH, person, randomAddress, tx, type Json, type RedteamDevice, problemFields } from '../harness.js';
import { judgeRejectedApproval, requestState } from '../judge.js';
import type { Scenario } from '../scenario.js';
import { mainPolicy, type World } from '../world.js';

const TEN_YEARS = 10 * 365 * 86_400;
const approved = (j: Json) => ((j.approvedBy ?? []) as string[]).join(',') || 'none';

/** A 2 ETH transfer from hot-1 to the whitelisted recipient: above 1 ETH it needs two approvers. */
async function pending(dev: RedteamDevice, w: World): Promise<{ requestId: string; digest: string }> {
  const requestId = dev.newRequestId('lifetime');
  const r = await dev.sign('hot-1', tx(w.addr.recipient, 2n * ETH, w.freshNonce()), { requestId });
  if (r.status !== 202) throw new Error(`setup: expected 202 pending approval, got ${r.status} ${r.text.slice(0, 200)}`);
  return { requestId, digest: String(r.json.intentDigest) };
}

export const approvalLifetimeScenarios: Scenario[] = [
  {
    id: 'H6',
    attacker: 'approver',
    attack: 'bob signs an approval that expires in 10 years (a standing authorisation) and it is relayed',
    expected: '403 approval rejected: lifetime_too_long (policy cap, default 24 h)',
    async run(w, v) {
      const m = w.main;
      const p = await pending(m, w);
      const head = await m.auditHead();
      const forever = approvalBody(person(w.people.approvers, 'bob'), m.deviceId, p.digest, { expiresAt: Math.floor(Date.now() / 1000) + TEN_YEARS });
      const j = await judgeRejectedApproval(m, v, head, await m.approve(p.requestId, forever), p.requestId, 'bob', 'lifetime_too_long');
      return { result: `${j.text}; request still 0/2`, auditSeq: j.seq, logged: j.seq !== null };
    },
  },
  {
    id: 'H6b',
    attacker: 'admin',
    attack: 'an admin approves a whitelist entry with a signature expiring in 10 years',
    expected: '403 approval rejected: lifetime_too_long; the entry gains no approval',
    async run(w, v) {
      const m = w.main;
      const address = randomAddress();
      const proposed = await m.request('POST', '/v1/whitelist/proposals', m.tokens.admin, { group: 'hot', chainId: CHAIN_ID, address, label: 'standing' });
      if (proposed.status !== 201) throw new Error(`setup: proposal got ${proposed.status} ${proposed.text.slice(0, 200)}`);
      const id = String(proposed.json.proposalId);
      const admin = w.people.admins[0]!;
      const expiresAt = Math.floor(Date.now() / 1000) + TEN_YEARS;
      const statement = encodeWhitelistStatement(
        m.deviceId,
        { id, group: 'hot', chainId: BigInt(CHAIN_ID), address: Buffer.from(address.slice(2), 'hex'), label: 'standing', proposedBy: '' },
        admin.id,
        expiresAt,
      );
      const head = await m.auditHead();
      const r = await m.request('POST', `/v1/whitelist/proposals/${id}/approvals`, m.tokens.admin, {
        adminId: admin.id,
        expiresAt,
        signature: '0x' + Buffer.from(signStatement(admin, statement)).toString('hex'),
      });
      const err = problemFields(r.json);
      v.expect(r.status === 403 && err.code === 'denied', `expected 403 denied, got ${r.status} ${String(err.code)}`);
      v.expect(err.details?.why === 'lifetime_too_long', `expected lifetime_too_long, got ${String(err.details?.why)}`);
      // A second admin's ordinary approval is then only 1 of the 2 needed: the 10-year one was not stored.
      const second = w.people.admins[1]!;
      const okAt = Math.floor(Date.now() / 1000) + 600;
      const okStatement = encodeWhitelistStatement(
        m.deviceId,
        { id, group: 'hot', chainId: BigInt(CHAIN_ID), address: Buffer.from(address.slice(2), 'hex'), label: 'standing', proposedBy: '' },
        second.id,
        okAt,
      );
      const next = await m.request('POST', `/v1/whitelist/proposals/${id}/approvals`, m.tokens.admin, {
        adminId: second.id,
        expiresAt: okAt,
        signature: '0x' + Buffer.from(signStatement(second, okStatement)).toString('hex'),
      });
      v.expect(
        next.status === 200 && next.json.status !== 'accepted' && approved(next.json) === second.id,
        `a second admin's approval: ${next.status} ${String(next.json.status)} (${approved(next.json)})`,
      );
      const seq = await m.findAudit(
        head,
        (p) => p.kind === 'whitelist.approve' && p.proposalId === id && p.outcome === 'rejected' && (p.rejectedApprovals as Json[])?.[0]?.why === 'lifetime_too_long',
      );
      v.recorded(seq !== null, `no audit entry (whitelist.approve, rejected, lifetime_too_long) for ${id}`);
      return { result: `${r.status} ${String(err.code)} (${String(err.details?.why)})`, auditSeq: seq, logged: seq !== null };
    },
  },
  {
    id: 'H6c',
    attacker: 'bridge',
    attack: "bob's approval expired; the bridge replays it, then relays his fresh one",
    expected: 'replay 403 expired (audited); the fresh one replaces it (audited) and the request signs',
    async run(w, v) {
      // A device of its own: its clock is moved forward 2 minutes by restarting it with an offset.
      const d = await w.device('lifetime', mainPolicy(w.people, w.addr.token), [{ label: 'hot-1', group: 'hot' }]);
      try {
        await d.whitelist(w.addr.recipient, 'hot');
        const [bob, carol] = [person(w.people.approvers, 'bob'), person(w.people.approvers, 'carol')];
        const p = await pending(d, w);
        const staleAt = Math.floor(Date.now() / 1000) + 60;
        const stale = approvalBody(bob, d.deviceId, p.digest, { expiresAt: staleAt });
        const first = await d.approve(p.requestId, stale);
        v.expect(first.status === 202 && approved(first.json) === 'bob', `setup: bob's approval got ${first.status} (${approved(first.json)})`);
        await d.restart(() => (process.env.HSM_CLOCK_OFFSET_SECONDS = '120'));
        delete process.env.HSM_CLOCK_OFFSET_SECONDS;
        const now = () => Math.floor(Date.now() / 1000) + 120;
        const c = await d.approve(p.requestId, approvalBody(carol, d.deviceId, p.digest, { expiresAt: now() + 600 }));
        v.expect(c.status === 202 && approved(c.json) === 'carol', `carol after bob expired: ${c.status} (${approved(c.json)})`);
        const head = await d.auditHead();
        const replay = await judgeRejectedApproval(d, v, head, await d.approve(p.requestId, stale), p.requestId, 'bob', 'expired');
        const head2 = await d.auditHead();
        const freshAt = now() + 600;
        const fresh = await d.approve(p.requestId, approvalBody(bob, d.deviceId, p.digest, { expiresAt: freshAt }));
        v.expect(
          fresh.status === 200 && fresh.json.status === 'signed',
          `bob's fresh approval: ${fresh.status} ${String(fresh.json.status)} (${approved(fresh.json)}); before the fix the request stalled at 1 of 2`,
        );
        v.expect(approved(fresh.json) === 'carol,bob', `counted ${approved(fresh.json)}`);
        const replaced = await d.findAudit(
          head2,
          (e) =>
            e.kind === 'request.approve' &&
            e.requestId === p.requestId &&
            e.replacedApproval?.approverId === 'bob' &&
            e.replacedApproval?.why === 'expired' &&
            e.replacedApproval?.expiresAt === staleAt,
        );
        v.recorded(replaced !== null && replaced === Number(fresh.json.auditSeq), 'the replacement is not in the signing entry');
        const state = await requestState(d, p.requestId);
        v.expect(state.status === 'signed', `request is ${String(state.status)}`);
        return {
          result: `replay: ${replay.text}; fresh: ${fresh.status} ${String(fresh.json.status)} (${approved(fresh.json)}), replaced entry #${String(replaced)}`,
          auditSeq: replay.seq,
          logged: replay.seq !== null && replaced !== null,
        };
      } finally {
        delete process.env.HSM_CLOCK_OFFSET_SECONDS;
        await d.stop();
      }
    },
  },
  {
    id: 'H11',
    attacker: 'host user',
    attack: 'a hostile token answers a signing request with a signature by another of its keys',
    expected: 'typed fault not_by_key; nothing released; sign_failed audited with the kept reservation',
    async run(w, v) {
      // The device runs in this process on its real SoftHSM2 token and sealed state; only the token's
      // answer is swapped (a real token cannot be made to misbehave from outside). R.x >= n cannot be
      // produced with a key whose secret is unknown: its unit test builds the key from the point.
      const varRoot = mkdtempSync(join(w.varRoot, 'h11-'));
      const json = mainPolicy(w.people, w.addr.token);
      json.groups.hot!.whitelistRequired = false;
      const created = await createDevice({
        varRoot,
        name: 'token',
        policy: (id) => policyFromJson(json, id),
        keys: [
          { label: 'hot-1', group: 'hot' },
          { label: 'hot-2', group: 'hot' },
        ],
        adminSigners: w.people.admins,
        measurement: runningMeasurement(),
      });
      const paths = devicePaths(varRoot, 'token');
      process.env.SOFTHSM2_CONF = paths.softhsmConf;
      const config = readDeviceConfig(paths);
      const keystore = KeyStore.open({ modulePath: config.modulePath, tokenUri: config.tokenUri, pin: readSecretFile(paths.userPinFile), poolSize: 1 });
      const dev = openDevice({ config, stateDb: paths.stateDb, keystore, measurement: runningMeasurement() });
      try {
        const keyIds = created.keys.map((k) => String(k.keyId));
        const other = dev.keys.get(keyIds[1]!)!.ckaId;
        const real = keystore.signDigest.bind(keystore);
        keystore.signDigest = (_ckaId, digest) => real(other, digest);
        const requestId = 'h11-hostile';
        const args: CborMap = {
          requestId,
          requester: 'orchestrator',
          keyId: keyIds[0]!,
          tx: {
            type: 'eip1559',
            chainId: BigInt(CHAIN_ID),
            nonce: 0n,
            gasLimit: 21_000n,
            to: Buffer.from(w.addr.recipient.slice(2), 'hex'),
            value: 1000n,
            data: new Uint8Array(0),
            maxFeePerGas: 20_000_000_000n,
            maxPriorityFeePerGas: 1_000_000_000n,
          },
        };
        const seqNow = () => (dev.db.prepare('SELECT MAX(seq) AS s FROM audit').get() as { s: number }).s;
        const head = seqNow();
        let thrown: unknown;
        try {
          await dispatch(dev, 'sign.evm-tx', args);
        } catch (e) {
          thrown = e;
        }
        const fault = thrown instanceof SignatureRecoveryError ? thrown.fault : undefined;
        v.expect(
          fault === 'not_by_key' && thrown instanceof ApplianceError && thrown.code === 'internal',
          `expected SignatureRecoveryError not_by_key, got ${thrown instanceof Error ? thrown.name + ': ' + thrown.message : 'a result'}`,
        );
        const rows = dev.db.prepare('SELECT seq, entry FROM audit WHERE seq > ? ORDER BY seq').all(head) as { seq: number; entry: Buffer }[];
        const entries = rows.map((r) => ({ seq: r.seq, p: entryPayload(new Uint8Array(r.entry)) }));
        v.expect(
          entries.every((e) => e.p.txHash === undefined && e.p.result !== 'signed'),
          'an entry records a signature',
        );
        const failed = entries.find((e) => e.p.requestId === requestId && e.p.result === 'sign_failed' && e.p.fault === 'not_by_key');
        const kept = (failed?.p.reservationsKept ?? []) as CborMap[];
        v.recorded(failed !== undefined, 'no sign_failed entry naming the fault');
        v.expect(kept.length === 1 && BigInt(kept[0]!.amount as number) === 1000n, `reservation kept: ${kept.length}`);
        const retry = await dispatch(dev, 'sign.evm-tx', args);
        v.expect(retry.status === 'failed' && retry.rawTransaction === undefined && seqNow() === head + 1, `retry: ${String(retry.status)}, entries since ${seqNow() - head}`);
        keystore.signDigest = real;
        return { result: `internal (${String(fault)}), retry: ${String(retry.status)}, reservation kept, nothing released`, auditSeq: failed?.seq ?? null, logged: failed !== undefined };
      } finally {
        closeDevice(dev);
        rmSync(varRoot, { recursive: true, force: true });
      }
    },
  },
];
