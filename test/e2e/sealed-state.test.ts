// Sealed state (docs/reliability.md "Sealed state"): through the real parts (a SoftHSM2 token, the appliance as
// its own process, the bridge), each kind of tampering with what the device keeps on disk is found,
// every key-using or state-changing command is refused with `state_tampered` (or `clock_rollback`),
// reads keep working, and the log says why in a `tamper.detected` entry. A SIGKILL is not tampering.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import type { CborMap } from '../../protocol/cbor.js';
import { closeModule, initToken, openModule, tokenLabelFromUri } from '../../appliance/pkcs11/module.js';
import { readDeviceConfig, readSecretFile } from '../../softhsm-config/device-layout.js';
import { CHAIN_ID, ETH, startTestDevice, testPolicyJson, whitelist, type TestDevice } from '../helpers/test-device.js';
import { problemFields } from '../helpers/problem.js';

const applianceMain = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'appliance', 'main.js');
const recipient = privateKeyToAccount(generatePrivateKey()).address;
const recipientBytes = () => Buffer.from(recipient.slice(2), 'hex');

interface Fresh {
  dev: TestDevice;
  nonce: number;
}

/** A device with a whitelisted recipient (no hold) and one signed transfer behind it. */
async function freshDevice(): Promise<Fresh> {
  const dev = await startTestDevice({ policy: (p) => testPolicyJson(p, { holdSeconds: 0 }) });
  await whitelist(dev, recipient);
  const f = { dev, nonce: 0 };
  const first = await sign(f, ETH / 2n);
  assert.equal(first.status, 200, JSON.stringify(first.json));
  assert.equal(first.json.status, 'signed');
  return f;
}

function sign(f: Fresh, value: bigint = 1000n) {
  const nonce = f.nonce++;
  return f.dev.request(
    'POST',
    '/v1/sign/evm-transaction',
    f.dev.tokens.orchestrator,
    {
      keyId: String(f.dev.keys[0]?.keyId),
      transaction: { type: 'eip1559', chainId: CHAIN_ID, nonce, to: recipient, value: value.toString(), gasLimit: 21000, maxFeePerGas: '2000000000', maxPriorityFeePerGas: '1' },
    },
    { 'Idempotency-Key': `seal-${nonce}-${Math.random().toString(36).slice(2)}` },
  );
}

/** Edits the stopped device's state database as an attacker with the disk would. */
async function editStopped(dev: TestDevice, edit: (db: Database.Database) => void): Promise<void> {
  await dev.appliance.stop();
  const db = new Database(dev.paths.stateDb);
  try {
    edit(db);
  } finally {
    db.close();
  }
  await dev.restartAppliance();
}

async function auditPayloads(dev: TestDevice): Promise<CborMap[]> {
  const r = await dev.request('GET', '/v1/audit?fromSeq=1&limit=1000', dev.tokens.auditor);
  assert.equal(r.status, 200, 'audit.list keeps working');
  return (r.json.entries as { payload: CborMap }[]).map((e) => e.payload);
}

/**
 * The device refuses to sign with `code`, names what it found (matching `pattern`), reports it in
 * device.info, keeps its reads working, and its log holds the `tamper.detected` entry (unless
 * `logged` is false: nothing can sign the entry). Returns the findings.
 */
async function assertRefused(f: Fresh, code: 'state_tampered' | 'clock_rollback', pattern: RegExp, logged = true): Promise<string[]> {
  const { dev } = f;
  const refused = await sign(f);
  assert.equal(refused.status, 403, JSON.stringify(refused.json));
  const err = problemFields(refused.json) as { code: string; message: string; details: { rule: string; code: string; findings: string[] } };
  assert.equal(err.code, 'denied');
  assert.equal(err.details.rule, 'sealed-state');
  assert.equal(err.details.code, code);
  assert.ok(
    err.details.findings.some((x) => pattern.test(x)),
    `a finding matches ${pattern}: ${JSON.stringify(err.details.findings)}`,
  );
  assert.ok(pattern.test(err.message), 'the message names what was found');

  // State-changing commands are refused too (a whitelist proposal, a key generation).
  const propose = await dev.request('POST', '/v1/whitelist/proposals', dev.tokens.admin, { group: 'hot', chainId: CHAIN_ID, address: '0x' + '42'.repeat(20), label: 'x' });
  assert.equal(propose.status, 403);
  assert.equal((problemFields(propose.json) as { details: { code: string } }).details.code, code);
  const keygen = await dev.request('POST', '/v1/keys', dev.tokens.admin, { label: 'after-tamper', group: 'hot' });
  assert.equal(keygen.status, 403);

  // Reads keep working for an auditor.
  const info = await dev.request('GET', '/v1/device', dev.tokens.auditor);
  assert.equal(info.status, 200);
  const sealed = info.json.sealed as { ok: boolean; findings: string[] };
  assert.equal(sealed.ok, false);
  assert.ok(
    sealed.findings.some((x) => pattern.test(x)),
    'device.info names the finding',
  );
  assert.equal((await dev.request('GET', '/healthz', dev.tokens.auditor)).status, 200);
  assert.equal((await dev.request('GET', '/v1/keys', dev.tokens.orchestrator)).status, 200);
  assert.equal((await dev.request('GET', '/v1/policy', dev.tokens.auditor)).status, 200);
  const exported = await dev.app.request('/v1/audit/export?format=jsonl', { headers: { Authorization: `Bearer ${dev.tokens.auditor}` } });
  assert.equal(exported.status, 200);
  await exported.text();

  const detections = (await auditPayloads(dev)).filter((p) => p.kind === 'tamper.detected' && p.code === code);
  if (logged) {
    assert.ok(detections.length >= 1, 'one tamper.detected entry says why');
    assert.ok(
      detections.some((p) => (p.findings as string[]).some((x) => pattern.test(x))),
      'the entry names the finding',
    );
  } else assert.equal(detections.length, 0);
  assert.match(dev.logs(), code === 'clock_rollback' ? /clock set back/ : /sealed state broken/, 'the appliance log names it');
  return err.details.findings;
}

describe('sealed state', () => {
  test('an edited whitelist row (another address put in its place) is found at boot and the device refuses', async () => {
    const f = await freshDevice();
    try {
      await editStopped(f.dev, (db) => {
        const n = db.prepare('UPDATE whitelist SET address = ? WHERE address = ?').run(Buffer.alloc(20, 0x66), recipientBytes()).changes;
        assert.equal(n, 1);
      });
      await assertRefused(f, 'state_tampered', /whitelist row .*MAC does not match/);
      // Exactly one entry for this detection, even across another boot with the same findings.
      await f.dev.restartAppliance();
      await assertRefused(f, 'state_tampered', /whitelist row/);
      assert.equal((await auditPayloads(f.dev)).filter((p) => p.kind === 'tamper.detected').length, 1);
    } finally {
      await f.dev.stop();
    }
  });

  test('an edited spend row (amount lowered) is found and the device refuses', async () => {
    const f = await freshDevice();
    try {
      await editStopped(f.dev, (db) => {
        assert.equal(db.prepare("UPDATE spend SET amount = '1', cum_amount = '1'").run().changes, 1);
      });
      await assertRefused(f, 'state_tampered', /spend row .*MAC does not match/);
    } finally {
      await f.dev.stop();
    }
  });

  test('a deleted spend row is found (the state digest no longer matches) and the device refuses', async () => {
    const f = await freshDevice();
    try {
      await editStopped(f.dev, (db) => {
        assert.equal(db.prepare('DELETE FROM spend').run().changes, 1);
      });
      await assertRefused(f, 'state_tampered', /state digest does not match/);
    } finally {
      await f.dev.stop();
    }
  });

  test('an edited policy row is found and the device refuses', async () => {
    const f = await freshDevice();
    try {
      await editStopped(f.dev, (db) => {
        assert.equal(db.prepare('UPDATE policies SET activated_at = activated_at - 86400').run().changes, 1);
      });
      await assertRefused(f, 'state_tampered', /policies row .*MAC does not match/);
    } finally {
      await f.dev.stop();
    }
  });

  test('a deleted row put back (an older, genuinely sealed version) is found and the device refuses', async () => {
    const f = await freshDevice();
    try {
      await f.dev.appliance.stop();
      const db = new Database(f.dev.paths.stateDb, { readonly: true });
      const saved = db.prepare('SELECT * FROM whitelist').get() as Record<string, unknown>;
      db.close();
      await f.dev.restartAppliance();
      // Removing an address takes effect at once; the attacker then replays the removed row.
      const removed = await f.dev.request('DELETE', `/v1/whitelist/${CHAIN_ID}/${recipient}`, f.dev.tokens.admin);
      assert.equal(removed.status, 200, JSON.stringify(removed.json));
      await editStopped(f.dev, (db2) => {
        db2
          .prepare('INSERT INTO whitelist (grp, chain_id, address, label, active_at, proposal_id, added_at, mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
          .run(saved.grp, saved.chain_id, saved.address, saved.label, saved.active_at, saved.proposal_id, saved.added_at, saved.mac);
      });
      await assertRefused(f, 'state_tampered', /state digest does not match/);
    } finally {
      await f.dev.stop();
    }
  });

  test('an older copy of the state database put back is found (older than the token anchor) and the device refuses', async () => {
    const f = await freshDevice();
    const backup = mkdtempSync(join(tmpdir(), 'seal-copy-'));
    const files = ['', '-wal', '-shm'];
    try {
      await f.dev.appliance.stop();
      for (const s of files) if (existsSync(f.dev.paths.stateDb + s)) cpSync(f.dev.paths.stateDb + s, join(backup, 'state.db' + s));
      await f.dev.restartAppliance();
      for (let i = 0; i < 3; i++) assert.equal((await sign(f, ETH)).json.status, 'signed', 'more work after the copy');
      await f.dev.appliance.stop();
      for (const s of files) rmSync(f.dev.paths.stateDb + s, { force: true });
      for (const s of files) if (existsSync(join(backup, 'state.db' + s))) cpSync(join(backup, 'state.db' + s), f.dev.paths.stateDb + s);
      await f.dev.restartAppliance();
      await assertRefused(f, 'state_tampered', /older copy of the database was restored/);
    } finally {
      await f.dev.stop();
      rmSync(backup, { recursive: true, force: true });
    }
  });

  test('an edited audit entry breaks the chain, is found, and the device refuses', async () => {
    const f = await freshDevice();
    try {
      await editStopped(f.dev, (db) => {
        const row = db.prepare('SELECT entry FROM audit WHERE seq = 2').get() as { entry: Buffer };
        const edited = Buffer.from(row.entry);
        edited[edited.length - 70] = edited[edited.length - 70]! ^ 0x01; // one bit inside the signed payload
        db.prepare('UPDATE audit SET entry = ? WHERE seq = 2').run(edited);
      });
      await assertRefused(f, 'state_tampered', /audit entry 2: its stored hash does not match/);
    } finally {
      await f.dev.stop();
    }
  });

  test('a truncated audit log is found (behind the checkpoint and the anchor) and the device refuses', async () => {
    const f = await freshDevice();
    try {
      let head = 0;
      await editStopped(f.dev, (db) => {
        head = (db.prepare('SELECT MAX(seq) AS s FROM audit').get() as { s: number }).s;
        assert.ok(db.prepare('DELETE FROM audit WHERE seq > ?').run(head - 2).changes === 2);
      });
      const findings = await assertRefused(f, 'state_tampered', /audit log ends at seq/);
      assert.ok(
        findings.some((x) => x.includes(`seq ${head}`)),
        'names the seq the log should reach',
      );
    } finally {
      await f.dev.stop();
    }
  });

  test("a swapped token is refused: another device's token does not boot, a token without this device's objects is refused, and the log records it once the real token is back", async () => {
    const f = await freshDevice();
    const other = await startTestDevice();
    const aside = mkdtempSync(join(tmpdir(), 'seal-token-'));
    const { dev } = f;
    try {
      await other.appliance.stop();
      await dev.appliance.stop();
      const headBefore = await readHead(dev);
      renameSync(dev.paths.tokenDir, join(aside, 'tokens'));
      cpSync(dev.paths.userPinFile, join(aside, 'user.pin'));

      // 1. Another device's token (and its PIN): not this device's token label, the device does not start.
      cpSync(other.paths.tokenDir, dev.paths.tokenDir, { recursive: true });
      writeFileSync(dev.paths.userPinFile, readSecretFile(other.paths.userPinFile), { mode: 0o600 });
      const boot = spawnSync(process.execPath, [applianceMain, '--var', dev.varRoot, '--device', 'dev'], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(boot.status, 1);
      assert.match(boot.stderr, /no initialised token labelled/);

      // 2. A token made to carry this device's label: it starts, finds none of its objects, refuses.
      rmSync(dev.paths.tokenDir, { recursive: true, force: true });
      makeTokenLike(dev, 'swapped-pin-123456');
      writeFileSync(dev.paths.userPinFile, 'swapped-pin-123456', { mode: 0o600 });
      await dev.restartAppliance();
      await assertRefused(f, 'state_tampered', /token holds no state-seal key for this device/, false);
      assert.equal(await readHead(dev), headBefore, 'nothing was signed by a foreign token');

      // 3. The real token back: the device still refuses, and the log now records what was found.
      await dev.appliance.stop();
      rmSync(dev.paths.tokenDir, { recursive: true, force: true });
      renameSync(join(aside, 'tokens'), dev.paths.tokenDir);
      cpSync(join(aside, 'user.pin'), dev.paths.userPinFile);
      await dev.restartAppliance();
      await assertRefused(f, 'state_tampered', /while the token could not seal: the token holds no state-seal key/);
    } finally {
      await dev.stop();
      rmSync(other.varRoot, { recursive: true, force: true });
      rmSync(aside, { recursive: true, force: true });
    }
  });

  test('a clock set back beyond the tolerance is refused with clock_rollback (within it, and once corrected, the device signs)', async () => {
    const f = await freshDevice();
    try {
      await f.dev.restartAppliance('SIGTERM', undefined, { HSM_CLOCK_OFFSET_SECONDS: '-100' });
      // 100 s back is within the 300 s tolerance: the seal does not refuse, and the device's own time
      // does not go back with the host clock (docs/device-time.md), so the recipient's entry, active
      // since it was added, stays active: the device signs.
      const within = await sign(f);
      assert.equal(within.json.status, 'signed', JSON.stringify(within.json));
      assert.deepEqual((await f.dev.request('GET', '/v1/device', f.dev.tokens.auditor)).json.sealed, { ok: true, findings: [] });
      await f.dev.restartAppliance('SIGTERM', undefined, { HSM_CLOCK_OFFSET_SECONDS: '-3600' });
      await assertRefused(f, 'clock_rollback', /before the last time the device committed/);
      await f.dev.restartAppliance();
      const again = await sign(f);
      assert.equal(again.status, 200, JSON.stringify(again.json));
      assert.equal(again.json.status, 'signed', 'a corrected clock is not tampering: no restore needed');
    } finally {
      await f.dev.stop();
    }
  });

  test('a row edited while the appliance runs is found at the next command, and the device refuses', async () => {
    const f = await freshDevice();
    try {
      const db = new Database(f.dev.paths.stateDb);
      db.prepare('UPDATE nonce_guard SET max_fee_per_gas = ?').run('1');
      db.close();
      await assertRefused(f, 'state_tampered', /another process wrote to the state database/);
    } finally {
      await f.dev.stop();
    }
  });

  test('a SIGKILL under signing load is not reported as tampering', async () => {
    const f = await freshDevice();
    const { dev } = f;
    try {
      for (let round = 0; round < 3; round++) {
        let killed = false;
        const workers = Array.from({ length: 12 }, async () => {
          while (!killed) {
            const nonce = f.nonce++;
            try {
              await dev.client.call('sign.evm-tx', {
                requestId: `kill-${round}-${nonce}`,
                requester: 'orchestrator',
                keyId: String(dev.keys[0]?.keyId),
                tx: { type: 'eip1559', chainId: BigInt(CHAIN_ID), nonce: BigInt(nonce), to: recipientBytes(), value: 1000n, gasLimit: 21000n, maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1n },
              });
            } catch {
              return;
            }
          }
        });
        await new Promise((r) => setTimeout(r, 150 + round * 100));
        killed = true;
        await dev.restartAppliance('SIGKILL');
        await Promise.all(workers);
        const info = await dev.request('GET', '/v1/device', dev.tokens.auditor);
        assert.deepEqual(info.json.sealed, { ok: true, findings: [] }, `round ${round}`);
        const after = await sign(f);
        assert.equal(after.json.status, 'signed', JSON.stringify(after.json));
      }
      assert.equal((await auditPayloads(dev)).filter((p) => p.kind === 'tamper.detected').length, 0);
      assert.doesNotMatch(dev.logs(), /sealed state broken/);
    } finally {
      await dev.stop();
    }
  });
});

async function readHead(dev: TestDevice): Promise<number> {
  const db = new Database(dev.paths.stateDb, { readonly: true });
  try {
    return (db.prepare('SELECT MAX(seq) AS s FROM audit').get() as { s: number }).s;
  } finally {
    db.close();
  }
}

/** A fresh SoftHSM2 token in the device's token directory, labelled like the device's own. */
function makeTokenLike(dev: TestDevice, userPin: string): void {
  const label = tokenLabelFromUri(readDeviceConfig(dev.paths).tokenUri);
  const saved = process.env.SOFTHSM2_CONF;
  process.env.SOFTHSM2_CONF = dev.paths.softhsmConf;
  mkdirSync(dev.paths.tokenDir, { recursive: true, mode: 0o700 });
  const mod = openModule(readDeviceConfig(dev.paths).modulePath);
  try {
    initToken(mod, label, 'swapped-so-pin-123456', userPin);
  } finally {
    closeModule(mod);
    if (saved === undefined) delete process.env.SOFTHSM2_CONF;
    else process.env.SOFTHSM2_CONF = saved;
  }
}
