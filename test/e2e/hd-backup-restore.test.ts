// An HD wallet through the key ceremonies on real SoftHSM2 tokens (docs/hd-wallets.md): init, a wallet
// (from a known mnemonic through the TEST-ONLY import) with two derived keys and a generated key, a
// 2-of-3 backup that carries the seed wrapped under the trusted key (the derived keys are not
// extractable and are not wrapped), the device directory deleted, a restore from two shares: the
// restored device has the same derived keys at the same addresses, signs with them in its token, gives
// the same account xpub, and derives new addresses equal to viem's.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { mnemonicToAccount } from 'viem/accounts';
import type { CborMap } from '../../protocol/cbor.js';
import { generateApproverKey, publicPart, type ApproverKeyFile } from '../../cli/approver-key.js';
import { makePlan, signPlan } from '../../cli/ceremony/plan.js';
import { runCeremonyBackup, runCeremonyInit, runCeremonyRestore } from '../../cli/ceremony/operations.js';
import { signRestore } from '../../cli/ceremony/restore-approval.js';
import { openLocalDevice } from '../../cli/ceremony/local-device.js';
import { entryPayload } from '../../cli/audit-tools.js';
import { closeDevice } from '../../appliance/device.js';
import { dispatch } from '../../appliance/dispatch.js';
import { hdCreateFromTestOnlyMnemonic } from '../../appliance/commands/hd-create.js';
import { parseStamp } from '../../protocol/commands/request-stamp-arg.js';
import { readKeyAttestation } from '../../attestation/certificates.js';
import { devicePaths } from '../../softhsm-config/device-layout.js';
import type { Approval } from '../../firmware-policy/approvals/statement.js';

const MNEMONIC = 'test test test test test test test test test test test junk';
const NAME = 'hd-vault';
const ETH = 10n ** 18n;

let varRoot: string;
let outDir: string;
let admins: ApproverKeyFile[];
let walletId: string;
let xpubBefore: string;
let generatedKeyId: string;
const derived: { keyId: string; address: string; path: string }[] = [];
let backup: { backupFile: string; shareFiles: string[]; keyIds: string[] };

function auditPayloads(): CborMap[] {
  const db = new Database(devicePaths(varRoot, NAME).stateDb, { readonly: true });
  try {
    return (db.prepare('SELECT entry FROM audit ORDER BY seq').all() as { entry: Buffer }[]).map((r) => entryPayload(new Uint8Array(r.entry)));
  } finally {
    db.close();
  }
}

async function withDevice<T>(fn: (dev: ReturnType<typeof openLocalDevice>['dev']) => Promise<T>): Promise<T> {
  const { dev } = openLocalDevice(varRoot, NAME);
  try {
    return await fn(dev);
  } finally {
    closeDevice(dev);
  }
}

function restoreApprovals(file: string): Approval[] {
  const bytes = new Uint8Array(readFileSync(file));
  return admins.slice(0, 2).map((a) => {
    const f = signRestore(bytes, a, Math.floor(Date.now() / 1000) + 600);
    return { approverId: f.adminId, expiresAt: f.expiresAt, signature: Uint8Array.from(Buffer.from(f.signature.slice(2), 'hex')) };
  });
}

describe('HD wallet: backup carries the seed; the restored device derives the same addresses', () => {
  before(async () => {
    varRoot = mkdtempSync(join(tmpdir(), 'hd-ceremony-'));
    outDir = mkdtempSync(join(tmpdir(), 'hd-ceremony-out-'));
    admins = [generateApproverKey('admin-1', 'ES256'), generateApproverKey('admin-2', 'EdDSA'), generateApproverKey('admin-3', 'ES256')];
    const big = (1000n * ETH).toString();
    const policy = {
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
    const plan = makePlan({ deviceName: NAME, policy, admins: admins.map(publicPart), now: Math.floor(Date.now() / 1000), validSeconds: 3600, allowUnsignedRequests: true });
    const planBytes = new TextEncoder().encode(JSON.stringify(plan));
    await runCeremonyInit({ varRoot, plan, planBytes, signatures: [signPlan(plan, admins[0]!), signPlan(plan, admins[1]!)], operator: 'olga', witness: 'wanda', soPinOut: join(outDir, 'so.pin') });
  });
  after(() => {
    rmSync(varRoot, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
  });

  test('a wallet, two derived keys, one generated key and the account xpub on the source device', async () => {
    await withDevice(async (dev) => {
      walletId = (await hdCreateFromTestOnlyMnemonic(dev, { label: 'treasury', ...parseStamp({ label: 'treasury' }) }, MNEMONIC)).walletId;
      for (const index of [0, 4]) {
        const k = await dispatch(dev, 'hd.derive', { walletId, account: 0, index, group: 'hot', label: `treasury-${index}` });
        derived.push({ keyId: String(k.keyId), address: String(k.address), path: String(k.path) });
      }
      generatedKeyId = String((await dispatch(dev, 'key.generate', { label: 'plain', group: 'hot' })).keyId);
      xpubBefore = String((await dispatch(dev, 'hd.xpub', { walletId, account: 0 })).xpub);
    });
    assert.deepEqual(
      derived.map((k) => k.address),
      [0, 4].map((i) => mnemonicToAccount(MNEMONIC, { addressIndex: i }).address),
    );
  });

  test('backup 2-of-3: the generated key and the seed are wrapped, the derived keys are not; backup.created names the wallet', async () => {
    const res = await runCeremonyBackup({
      varRoot,
      name: NAME,
      threshold: 2,
      custodians: ['carol', 'dave', 'erin'],
      outDir,
      witness: 'wanda',
      soPin: readFileSync(join(outDir, 'so.pin'), 'utf8').trim(),
    });
    backup = res;
    assert.deepEqual(res.keyIds, [generatedKeyId], 'only the extractable (generated) key is wrapped');
    const last = auditPayloads().at(-1);
    assert.equal(last?.kind, 'backup.created');
    assert.deepEqual(last?.walletIds, [walletId]);
    // The mnemonic's seed never appears in the backup file in the clear.
    const file = readFileSync(res.backupFile);
    const seed = (await import('@scure/bip39')).mnemonicToSeedSync(MNEMONIC);
    assert.equal(file.includes(Buffer.from(seed)), false);
    assert.equal(file.includes(Buffer.from(seed.subarray(0, 16))), false);
  });

  test('restore from two shares into a new token: the same derived keys at the same addresses, signing in the token', async () => {
    rmSync(devicePaths(varRoot, NAME).dir, { recursive: true, force: true });
    const res = await runCeremonyRestore({
      varRoot,
      name: NAME,
      backupFile: backup.backupFile,
      shareFiles: [backup.shareFiles[0]!, backup.shareFiles[2]!],
      approvals: restoreApprovals(backup.backupFile),
      witness: 'wanda',
      soPinOut: join(outDir, 'restored-so.pin'),
    });
    for (const k of derived)
      assert.ok(
        res.keys.some((r) => r.keyId === k.keyId && r.address === k.address),
        `${k.path} restored at ${k.address}`,
      );
    const first = auditPayloads()[0];
    assert.equal(first?.kind, 'device.restore');
    assert.deepEqual(first?.walletIds, [walletId]);
    await withDevice(async (dev) => {
      for (const k of derived) {
        const got = await dispatch(dev, 'key.get', { keyId: k.keyId });
        assert.equal(got.address, k.address);
        const p = got.protection as Record<string, boolean>;
        assert.equal(p.sensitive, true);
        assert.equal(p.extractable, false);
        assert.equal(readKeyAttestation(String(got.certificate)).hdDerivation, `${walletId} ${k.path}`);
        const digest = sha256(new TextEncoder().encode(`restored ${k.keyId}`));
        const sig = await dev.keystore.signDigest(Buffer.from(k.keyId.slice(2), 'hex'), digest);
        assert.ok(secp256k1.verify(sig, digest, got.publicKey as Uint8Array, { prehash: false, lowS: false }), 'the restored token signs with the derived key');
      }
      assert.equal((await dispatch(dev, 'hd.xpub', { walletId, account: 0 })).xpub, xpubBefore, 'the same account xpub');
      const next = await dispatch(dev, 'hd.derive', { walletId, account: 0, index: 9, group: 'hot', label: 'after-restore' });
      assert.equal(next.address, mnemonicToAccount(MNEMONIC, { addressIndex: 9 }).address, 'a new derivation on the restored device');
    });
  });
});
