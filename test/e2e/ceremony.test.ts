// The key ceremony end to end, through a real SoftHSM2 token and a real anvil node: plan, admin
// signatures, init (transcript = first audit entry), keygen, a transfer mined, a 3-of-5 backup, the
// device directory deleted, failed restores that write nothing, a restore from shares 1, 3 and 5, and
// the same address signing a transfer that anvil mines.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sha256 } from '@noble/hashes/sha2.js';
import { parseEther, parseTransaction, recoverTransactionAddress, type Hex } from 'viem';
import type { CborMap } from '../../protocol/cbor.js';
import { generateApproverKey, publicPart, type ApproverKeyFile } from '../../cli/approver-key.js';
import { makePlan, signPlan } from '../../cli/ceremony/plan.js';
import { runCeremonyBackup, runCeremonyInit, runCeremonyKeygen, runCeremonyRestore } from '../../cli/ceremony/operations.js';
import { signRestore } from '../../cli/ceremony/restore-approval.js';
import { checksumOf } from '../../cli/ceremony/shares.js';
import type { Approval } from '../../firmware-policy/approvals/statement.js';
import { KeyStore } from '../../appliance/keystore.js';
import { findTokenSlot, openModule, closeModule, P11, tokenLabelFromUri } from '../../appliance/pkcs11/module.js';
import { startAppliance } from '../../cli/appliance-process.js';
import { entryPayload, verifyExportFile } from '../../cli/audit-tools.js';
import { devicePaths, readSecretFile } from '../../softhsm-config/device-layout.js';
import { ApplianceClient } from '../../host-bridge/appliance-client.js';
import { whitelistWithAdmins } from '../../reliability/load-device.js';
import { repoRoot } from '../helpers/vectors.js';
import { startAnvil, type Anvil } from '../helpers/anvil.js';

const HSMCTL = join(repoRoot, 'dist', 'cli', 'hsmctl.js');
const ETH = 10n ** 18n;
const NAME = 'vault';

let anvil: Anvil;
let varRoot: string;
let backupDir: string;
let admins: ApproverKeyFile[];
let deviceId: string;
let address: string;
let keyId: string;
let backup: { backupFile: string; shareFiles: string[] };
let backupSeq = 0;
const recipient = Uint8Array.from(Buffer.from('5aeda56215b167893e80b4fe645ba6d5bab767de', 'hex'));

function auditPayloads(name: string): CborMap[] {
  const db = new Database(devicePaths(varRoot, name).stateDb, { readonly: true });
  try {
    return (db.prepare('SELECT entry FROM audit ORDER BY seq').all() as { entry: Buffer }[]).map((r) => entryPayload(new Uint8Array(r.entry)));
  } finally {
    db.close();
  }
}

/** Starts the appliance, runs `fn` with a client on its socket, and stops it. */
async function withAppliance<T>(name: string, fn: (client: ApplianceClient) => Promise<T>): Promise<T> {
  const app = await startAppliance(varRoot, name, { stderr: 'ignore', env: { ...process.env, HSM_LOG_LEVEL: 'error' } });
  const client = new ApplianceClient(devicePaths(varRoot, name).socket);
  try {
    return await fn(client);
  } finally {
    client.close();
    await app.stop();
  }
}

function transfer(client: ApplianceClient, requestId: string, nonce: number, value: bigint): Promise<CborMap> {
  return client.call('sign.evm-tx', {
    requestId,
    requester: 'orchestrator',
    keyId,
    tx: { type: 'eip1559', chainId: 31337n, nonce: BigInt(nonce), to: recipient, value, gasLimit: 21000n, maxFeePerGas: 20_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n },
  });
}

/** Signs a 1 ETH transfer at `nonce` (whitelisting the recipient first if asked); returns the raw transaction. */
async function signTransfer(name: string, nonce: number, whitelistFirst: boolean): Promise<Hex> {
  return withAppliance(name, async (client) => {
    if (whitelistFirst) await whitelistWithAdmins(client, deviceId, admins, recipient, 'treasury');
    const res = await transfer(client, `ceremony-${name}-${nonce}`, nonce, ETH);
    assert.equal(res.status, 'signed', JSON.stringify(res));
    return ('0x' + Buffer.from(res.rawTransaction as Uint8Array).toString('hex')) as Hex;
  });
}

async function mine(raw: Hex): Promise<void> {
  const tx = parseTransaction(raw);
  assert.equal(tx.chainId, 31337);
  assert.equal(tx.to?.toLowerCase(), '0x' + Buffer.from(recipient).toString('hex'));
  assert.equal((await recoverTransactionAddress({ serializedTransaction: raw as Parameters<typeof recoverTransactionAddress>[0]['serializedTransaction'] })).toLowerCase(), address.toLowerCase());
  const hash = await anvil.publicClient.sendRawTransaction({ serializedTransaction: raw });
  const receipt = await anvil.publicClient.waitForTransactionReceipt({ hash });
  assert.equal(receipt.status, 'success');
}

/** Restore approvals by the given admins over this backup file. */
function restoreApprovals(file: string, who: ApproverKeyFile[]): Approval[] {
  const bytes = new Uint8Array(readFileSync(file));
  return who.map((a) => {
    const f = signRestore(bytes, a, Math.floor(Date.now() / 1000) + 600);
    return { approverId: f.adminId, expiresAt: f.expiresAt, signature: Uint8Array.from(Buffer.from(f.signature.slice(2), 'hex')) };
  });
}

function nothingWritten(name: string): void {
  assert.equal(existsSync(devicePaths(varRoot, name).dir), false, `no directory for ${name}`);
}

describe('key ceremony: init, keygen, backup 3-of-5, restore from shares 1, 3, 5', () => {
  before(async () => {
    anvil = await startAnvil();
    varRoot = mkdtempSync(join(tmpdir(), 'ceremony-'));
    backupDir = mkdtempSync(join(tmpdir(), 'ceremony-shares-'));
    admins = [generateApproverKey('admin-1', 'ES256'), generateApproverKey('admin-2', 'EdDSA'), generateApproverKey('admin-3', 'ES256')];
  });
  after(async () => {
    await anvil?.stop();
    rmSync(varRoot, { recursive: true, force: true });
    rmSync(backupDir, { recursive: true, force: true });
  });

  test('init refuses a first policy without its admin quorum, and leaves no device behind', async () => {
    const plan = makePlan({ deviceName: 'short', policy: policyJson(), admins: admins.map(publicPart), now: Math.floor(Date.now() / 1000), validSeconds: 3600, allowUnsignedRequests: true });
    const planBytes = new TextEncoder().encode(JSON.stringify(plan));
    await assert.rejects(
      runCeremonyInit({ varRoot, plan, planBytes, signatures: [signPlan(plan, admins[0]!)], operator: 'olga', witness: 'wanda', soPinOut: join(backupDir, 'short-so.pin') }),
      (err: Error & { code?: string }) => err.code === 'denied' && /needs 2 admin signatures; 1 counted/.test(err.message),
    );
    nothingWritten('short');
    assert.equal(existsSync(join(backupDir, 'short-so.pin')), false, 'no SO PIN file left behind');
  });

  test('1) init: token with generated PINs, identity, admin-signed policy; the transcript is the first audit entry and verifies offline', async () => {
    const plan = makePlan({ deviceName: NAME, policy: policyJson(), admins: admins.map(publicPart), now: Math.floor(Date.now() / 1000), validSeconds: 3600, allowUnsignedRequests: true });
    const planBytes = new TextEncoder().encode(JSON.stringify(plan));
    const progress: string[] = [];
    const res = await runCeremonyInit({
      varRoot,
      plan,
      planBytes,
      signatures: [signPlan(plan, admins[0]!), signPlan(plan, admins[2]!)],
      operator: 'olga',
      witness: 'wanda',
      soPinOut: join(backupDir, 'so.pin'),
      progress: (m) => progress.push(m),
    });
    deviceId = res.deviceId;
    assert.equal(res.auditSeq, 1);
    const paths = devicePaths(varRoot, NAME);
    assert.equal(existsSync(paths.soPinFile), false, 'the SO PIN is not kept on the device host');
    const pins = [readSecretFile(paths.userPinFile), readSecretFile(join(backupDir, 'so.pin'))];
    for (const pin of pins) {
      assert.ok(pin.length >= 20);
      assert.ok(!progress.join('\n').includes(pin), 'no PIN in the progress output');
      assert.ok(!readFileSync(res.transcript.markdown, 'utf8').includes(pin), 'no PIN in the transcript');
      assert.ok(!Buffer.from(readFileSync(res.transcript.cbor)).includes(Buffer.from(pin)), 'no PIN in the signed transcript');
    }
    const [first, ...rest] = auditPayloads(NAME);
    assert.equal(rest.length, 0);
    assert.equal(first?.kind, 'ceremony.init');
    assert.deepEqual((first?.approvals as CborMap[]).map((a) => a.approverId).sort(), ['admin-1', 'admin-3']);
    assert.equal((first?.ceremony as CborMap).witness, 'wanda');
    const md = readFileSync(res.transcript.markdown, 'utf8');
    assert.match(md, /Admin quorum: 2 of 3/);
    assert.match(md, new RegExp(res.policyHash));
    // Offline verification with the auditor's tool, trusting only the manufacturer CA.
    const dir = join(paths.dir, 'ceremony');
    const report = await verifyExportFile(res.transcript.cbor, { deviceCertPem: readFileSync(join(dir, 'device-cert.pem'), 'utf8'), caCertPem: readFileSync(join(dir, 'ca-cert.pem'), 'utf8') });
    assert.equal(report.ok, true, JSON.stringify(report.fault));
    const cli = execFileSync(process.execPath, [HSMCTL, 'audit', 'verify', res.transcript.cbor, '--device-cert', join(dir, 'device-cert.pem'), '--ca', join(dir, 'ca-cert.pem')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.equal(JSON.parse(cli).ok, true);
    // A transcript with one byte changed does not verify.
    const bad = Buffer.from(readFileSync(res.transcript.cbor));
    bad.writeUInt8(bad.readUInt8(bad.length - 40) ^ 0x01, bad.length - 40);
    const badFile = join(backupDir, 'transcript-bad.cbor');
    writeFileSync(badFile, bad);
    const badReport = await verifyExportFile(badFile, { deviceCertPem: readFileSync(join(dir, 'device-cert.pem'), 'utf8'), caCertPem: readFileSync(join(dir, 'ca-cert.pem'), 'utf8') });
    assert.equal(badReport.ok, false);
  });

  test('2) keygen generates a key with its attestation certificate, with progress', async () => {
    const progress: string[] = [];
    const keys = await runCeremonyKeygen({ varRoot, name: NAME, group: 'hot', label: 'treasury', count: 1, progress: (m) => progress.push(m) });
    assert.equal(keys.length, 1);
    keyId = String(keys[0]?.keyId);
    address = String(keys[0]?.address);
    assert.match(String(keys[0]?.certificate), /BEGIN CERTIFICATE/);
    assert.match(progress.join('\n'), /key 1\/1 generated/);
  });

  test('3) the key signs a transfer that anvil mines', async () => {
    const h = await anvil.funder.sendTransaction({ to: address as Hex, value: parseEther('10'), account: anvil.funder.account!, chain: anvil.funder.chain });
    await anvil.publicClient.waitForTransactionReceipt({ hash: h });
    await mine(await signTransfer(NAME, 0, true));
  });

  test('4) backup 3-of-5: key wrapped under the trusted key, five named share files, a backup.created entry', async () => {
    const soPin = readSecretFile(join(backupDir, 'so.pin'));
    const res = await runCeremonyBackup({ varRoot, name: NAME, threshold: 3, custodians: ['carol', 'dave', 'erin', 'frank', 'grace'], outDir: backupDir, witness: 'wanda', soPin });
    backup = res;
    assert.deepEqual(res.keyIds, [keyId]);
    assert.equal(res.shareFiles.length, 5);
    assert.match(res.shareFiles[2]!, /share-3-of-5-erin\.json$/);
    const share = JSON.parse(readFileSync(res.shareFiles[0]!, 'utf8')) as Record<string, unknown>;
    assert.equal(share.custodian, 'carol');
    assert.match(String(share.checksum), /^[0-9a-f]{32}$/);
    const last = auditPayloads(NAME).at(-1);
    assert.equal(last?.kind, 'backup.created');
    backupSeq = Number(last?.seq);
    assert.equal(last?.threshold, 3);
    // Neither the wrap key nor a share is in the backup file or the log.
    const file = readFileSync(res.backupFile);
    for (const f of res.shareFiles) assert.ok(!file.includes(Buffer.from(String((JSON.parse(readFileSync(f, 'utf8')) as { share: string }).share), 'hex')));
    // The trusted wrap key did not outlive the ceremony: no AES key and nothing trusted is on the token.
    const paths = devicePaths(varRoot, NAME);
    const config = JSON.parse(readFileSync(paths.deviceJson, 'utf8')) as { modulePath: string; tokenUri: string };
    process.env.SOFTHSM2_CONF = paths.softhsmConf;
    const mod = openModule(config.modulePath);
    try {
      const session = mod.C_OpenSession(findTokenSlot(mod, tokenLabelFromUri(config.tokenUri)), P11.CKF_SERIAL_SESSION);
      mod.C_Login(session, P11.CKU_USER, readSecretFile(paths.userPinFile));
      for (const template of [[{ type: P11.CKA_KEY_TYPE, value: P11.CKK_AES }], [{ type: P11.CKA_TRUSTED, value: true }]]) {
        mod.C_FindObjectsInit(session, template);
        assert.equal(mod.C_FindObjects(session, 10).length, 0);
        mod.C_FindObjectsFinal(session);
      }
    } finally {
      closeModule(mod);
    }
  });

  test('5) the device directory is deleted', () => {
    rmSync(devicePaths(varRoot, NAME).dir, { recursive: true, force: true });
    nothingWritten(NAME);
  });

  test('restore with only 2 shares fails clearly and writes nothing', async () => {
    await assert.rejects(
      runCeremonyRestore({
        varRoot,
        name: NAME,
        backupFile: backup.backupFile,
        shareFiles: [backup.shareFiles[0]!, backup.shareFiles[4]!],
        approvals: restoreApprovals(backup.backupFile, [admins[0]!, admins[1]!]),
        witness: 'wanda',
        soPinOut: join(backupDir, 'r-so.pin'),
      }),
      /2 shares given; this backup needs 3/,
    );
    nothingWritten(NAME);
  });

  test("restore without the admin quorum's approval is refused before anything is written", async () => {
    await assert.rejects(
      runCeremonyRestore({
        varRoot,
        name: NAME,
        backupFile: backup.backupFile,
        shareFiles: [backup.shareFiles[0]!, backup.shareFiles[2]!, backup.shareFiles[4]!],
        approvals: restoreApprovals(backup.backupFile, [admins[1]!]),
        witness: 'wanda',
        soPinOut: join(backupDir, 'r-so.pin'),
      }),
      (err: Error & { code?: string }) => err.code === 'denied' && /needs 2 admin approvals; 1 counted/.test(err.message),
    );
    nothingWritten(NAME);
    assert.equal(existsSync(join(backupDir, 'r-so.pin')), false);
  });

  test('a relabelled share with a recomputed checksum is named, and nothing is written', async () => {
    // Carol's share presented as dave's (position 2): the checksum is only a typo guard, but the
    // device-signed backup records what each custodian received.
    const s = JSON.parse(readFileSync(backup.shareFiles[0]!, 'utf8')) as Record<string, unknown>;
    const forged = { ...s, custodian: 'dave', index: 2 };
    const path = join(backupDir, 'forged-share.json');
    writeFileSync(path, JSON.stringify({ ...forged, checksum: checksumOf(forged as never) }));
    await assert.rejects(
      runCeremonyRestore({
        varRoot,
        name: NAME,
        backupFile: backup.backupFile,
        shareFiles: [path, backup.shareFiles[2]!, backup.shareFiles[4]!],
        approvals: restoreApprovals(backup.backupFile, [admins[0]!, admins[1]!]),
        witness: 'wanda',
        soPinOut: join(backupDir, 'r-so.pin'),
      }),
      (err: Error) => err.message.includes(path) && /not the share the device handed to dave/.test(err.message),
    );
    nothingWritten(NAME);
  });

  test('restore with a corrupted share fails, names that share, and writes nothing', async () => {
    const damaged = join(backupDir, 'damaged-share-3.json');
    const s = JSON.parse(readFileSync(backup.shareFiles[2]!, 'utf8')) as { share: string };
    s.share = (s.share[0] === 'a' ? 'b' : 'a') + s.share.slice(1);
    writeFileSync(damaged, JSON.stringify(s));
    await assert.rejects(
      runCeremonyRestore({
        varRoot,
        name: NAME,
        backupFile: backup.backupFile,
        shareFiles: [backup.shareFiles[0]!, damaged, backup.shareFiles[4]!],
        approvals: restoreApprovals(backup.backupFile, [admins[0]!, admins[1]!]),
        witness: 'wanda',
        soPinOut: join(backupDir, 'r-so.pin'),
      }),
      (err: Error) => err.message.includes(damaged) && /checksum/.test(err.message),
    );
    nothingWritten(NAME);
    assert.deepEqual(readdirSync(varRoot).sort(), ['manufacturer']);
  });

  test('6-7) restore from shares 1, 3 and 5: same address, log names the source, a transfer is mined', async () => {
    const res = await runCeremonyRestore({
      varRoot,
      name: NAME,
      backupFile: backup.backupFile,
      shareFiles: [backup.shareFiles[0]!, backup.shareFiles[2]!, backup.shareFiles[4]!],
      approvals: restoreApprovals(backup.backupFile, [admins[0]!, admins[1]!]),
      witness: 'wanda',
      soPinOut: join(backupDir, 'restored-so.pin'),
    });
    assert.deepEqual(res.keys, [{ keyId, address }]);
    assert.deepEqual(
      res.sharesUsed.map((s) => s.custodian),
      ['carol', 'erin', 'grace'],
    );
    const [first] = auditPayloads(NAME);
    assert.equal(first?.kind, 'device.restore');
    const source = first?.source as CborMap;
    assert.equal(source.deviceId, deviceId);
    assert.ok(source.attestationPublicKey instanceof Uint8Array);
    assert.equal(Number((source.auditHead as CborMap).seq), backupSeq - 1, 'the source log head just before backup.created');
    assert.equal(Buffer.from(first?.backupHash as Uint8Array).toString('hex'), Buffer.from(sha256(readFileSync(backup.backupFile))).toString('hex'));
    assert.deepEqual(
      (first?.sharesUsed as CborMap[]).map((s) => [s.index, s.custodian]),
      [
        [1, 'carol'],
        [3, 'erin'],
        [5, 'grace'],
      ],
    );
    assert.deepEqual((first?.approvals as CborMap[]).map((a) => a.approverId).sort(), ['admin-1', 'admin-2']);
    // The restored key keeps the protection that matters: sensitive, wrappable only under a trusted key.
    // (SoftHSM2 refuses CKA_MODIFIABLE false on an unwrapped key, so that one stays true.)
    const paths = devicePaths(varRoot, NAME);
    const config = JSON.parse(readFileSync(paths.deviceJson, 'utf8')) as { modulePath: string; tokenUri: string };
    process.env.SOFTHSM2_CONF = paths.softhsmConf;
    const ks = KeyStore.open({ modulePath: config.modulePath, tokenUri: config.tokenUri, pin: readSecretFile(paths.userPinFile), poolSize: 1 });
    try {
      const [k] = await ks.listKeys();
      assert.ok(k);
      const p = await ks.privateKeyProtection(k.ckaId);
      assert.deepEqual({ sensitive: p.sensitive, private: p.private, token: p.token, wrapWithTrusted: p.wrapWithTrusted }, { sensitive: true, private: true, token: true, wrapWithTrusted: true });
      assert.equal(await ks.tryReadPrivateValue(k.ckaId), 'CKR_ATTRIBUTE_SENSITIVE');
    } finally {
      ks.close();
    }
    // The nonce guard came with the backup: another intent at the nonce the source device used is refused.
    await withAppliance(NAME, async (client) => {
      const res = await transfer(client, 'replay-nonce-0', 0, 2n * ETH);
      assert.equal(
        res.status,
        'denied',
        JSON.stringify(res, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
      );
      assert.ok(JSON.stringify(res.reasons, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)).includes('nonce_conflict'));
    });
    // The whitelist came with it too: nonce 1 to the same recipient is signed without a new hold.
    await mine(await signTransfer(NAME, 1, false));
    assert.equal(await anvil.publicClient.getTransactionCount({ address: address as Hex }), 2);
  });

  test('a backup refuses a device whose sealed state was edited, and writes no share', async () => {
    const paths = devicePaths(varRoot, NAME);
    const db = new Database(paths.stateDb);
    try {
      assert.equal(db.prepare("UPDATE spend SET amount = '1' WHERE rowid = (SELECT MAX(rowid) FROM spend)").run().changes, 1);
    } finally {
      db.close();
    }
    const out = mkdtempSync(join(tmpdir(), 'ceremony-refused-'));
    try {
      await assert.rejects(
        runCeremonyBackup({ varRoot, name: NAME, threshold: 2, custodians: ['carol', 'dave'], outDir: out, witness: 'wanda', soPin: readSecretFile(join(backupDir, 'restored-so.pin')) }),
        (err: Error & { details?: Record<string, unknown> }) => err.details?.code === 'state_tampered',
      );
      assert.deepEqual(readdirSync(out), []);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

/** The ceremony's policy; its sign.evm-tx calls go unstamped (signed requests have their own tests), hence allowUnsignedRequests at planning. */
function policyJson() {
  const big = (1000n * ETH).toString();
  return {
    adminQuorum: 2,
    admins: [],
    approvers: [],
    requesters: [{ id: 'orchestrator' }],
    groups: {
      hot: {
        chains: [31337],
        whitelistRequired: true,
        holdSeconds: 0,
        assets: { '31337:native': { perTxMax: big, windows: [{ seconds: 86_400, maxAmount: big, maxCount: 100 }], approvalTiers: [] } },
      },
    },
  };
}
