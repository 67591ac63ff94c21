// The key ceremonies, host side: init (token, identity, enrolment, first policy, transcript), keygen,
// backup (trusted wrap + M-of-N shares) and restore (shares + backup into a new token). Each runs on a
// quiescent device in this process, with the appliance's own code, and leaves nothing half-written:
// a failed init or restore removes the device directory it was creating.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sha256 } from '@noble/hashes/sha2.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { CborMap } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { createDeviceToken } from '../../softhsm-config/create-token.js';
import { devicePaths, readDeviceConfig, readSecretFile } from '../../softhsm-config/device-layout.js';
import { tokenLabelFromUri } from '../../appliance/pkcs11/module.js';
import { unwrapIntoToken, wrapUnderTrustedKey } from '../../appliance/pkcs11/trusted-wrap.js';
import { restoreHdSeeds, type SeedToRestore } from '../../appliance/pkcs11/hd-seed-restore.js';
import { snapshotHdKeys, snapshotHdWallets } from '../../appliance/ceremony/state-snapshot.js';
import { closeDevice } from '../../appliance/device.js';
import { dispatch } from '../../appliance/dispatch.js';
import { ceremonyInit as deviceCeremonyInit } from '../../appliance/ceremony/init.js';
import { planBackup, sealBackup } from '../../appliance/ceremony/backup.js';
import { keyCheckValue, verifyBackupFile } from '../../appliance/ceremony/backup-file.js';
import { checkRestoreApprovals, restoreDevice } from '../../appliance/ceremony/restore.js';
import type { Approval } from '../../firmware-policy/approvals/statement.js';
import { initManufacturer, loadManufacturer, manufacturerFiles } from '../manufacturer.js';
import { checkPlan, type CeremonyPlan, type PlanSignature } from './plan.js';
import { assertApplianceStopped, openLocalDevice } from './local-device.js';
import { assertOutputsFree, checkLayout, combineShares, readShareFile, shareDigest, splitWrapKey, writeShareFiles } from './shares.js';
import { writeTranscript } from './transcript.js';

type Progress = (msg: string) => void;
const quiet: Progress = () => undefined;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function failIfExists(varRoot: string, name: string): void {
  const paths = devicePaths(varRoot, name);
  if (existsSync(paths.deviceJson) || existsSync(paths.dir)) throw new ApplianceError('conflict', `${paths.dir} exists; a ceremony never writes over a device`);
}

export interface InitResult {
  deviceId: string;
  transcript: { cbor: string; markdown: string };
  auditSeq: number;
  policyHash: string;
}

export async function runCeremonyInit(opts: {
  varRoot: string;
  plan: CeremonyPlan;
  planBytes: Uint8Array;
  signatures: PlanSignature[];
  operator: string;
  witness: string;
  soPinOut: string;
  outDir?: string;
  progress?: Progress;
}): Promise<InitResult> {
  const say = opts.progress ?? quiet;
  const { plan } = opts;
  const { document, hash } = checkPlan(plan);
  for (const s of opts.signatures) {
    if (s.deviceId !== plan.deviceId || s.policyHash !== plan.policyHash) throw new ApplianceError('bad_request', `signature of ${s.adminId} is for another plan (device ${s.deviceId})`);
  }
  const approvals = opts.signatures.map((s) => ({ approverId: s.adminId, expiresAt: s.expiresAt, signature: Uint8Array.from(Buffer.from(s.signature.replace(/^0x/, ''), 'hex')) }));
  failIfExists(opts.varRoot, plan.deviceName);
  assertSoPinOut(opts.soPinOut, devicePaths(opts.varRoot, plan.deviceName).dir);
  if (opts.outDir && existsSync(join(opts.outDir, 'transcript.cbor'))) throw new ApplianceError('conflict', `${opts.outDir} already holds a transcript; choose a new directory`);
  const made = await initManufacturer(opts.varRoot);
  if (made.created) say(`created the emulated manufacturer CA ${made.certFile}`);
  const ca = loadManufacturer(opts.varRoot);
  const paths = devicePaths(opts.varRoot, plan.deviceName);
  try {
    say(`1/4 initialising the token with generated PINs (user PIN 0600 under secrets/, SO PIN 0600 to ${opts.soPinOut}; never shown)`);
    const config = createDeviceToken({ varRoot: opts.varRoot, name: plan.deviceName, deviceId: plan.deviceId, soPinFile: opts.soPinOut });
    const { dev } = openLocalDevice(opts.varRoot, plan.deviceName);
    try {
      say("2/4 checking the admin quorum's signatures over the first policy");
      say('3/4 generating the device attestation key; the manufacturer CA certifies it');
      const record: CborMap = {
        deviceName: plan.deviceName,
        operator: opts.operator,
        witness: opts.witness,
        planHash: sha256(opts.planBytes),
        tokenLabel: tokenLabelFromUri(config.tokenUri),
        tokenModule: config.modulePath,
        pinHandling:
          "SO and user PINs generated from the OS RNG, never in argv, never displayed; user PIN 0600 in secrets/user.pin for the appliance; SO PIN 0600 to the security officer's file, not kept on the device host",
      };
      const res = await deviceCeremonyInit(dev, ca, { document, approvals, record });
      say(`4/4 first audit entry #${res.entry.seq} (ceremony.init) signed by the device; writing the transcript`);
      writeFileSync(join(paths.dir, 'device-cert.pem'), res.deviceCertPem);
      const dir = resolve(opts.outDir ?? join(paths.dir, 'ceremony'));
      mkdirSync(dir, { recursive: true });
      const transcript = writeTranscript(dir, res.entry.entry, res.deviceCertPem, ca.certPem);
      return { deviceId: plan.deviceId, transcript, auditSeq: res.entry.seq, policyHash: hex(hash) };
    } finally {
      closeDevice(dev);
    }
  } catch (err) {
    rmSync(paths.dir, { recursive: true, force: true });
    rmSync(opts.soPinOut, { force: true });
    throw err;
  }
}

/** The SO PIN must leave the device directory: a fresh file outside it. */
function assertSoPinOut(file: string, deviceDir: string): void {
  const abs = resolve(file);
  if (abs.startsWith(resolve(deviceDir) + '/')) throw new ApplianceError('bad_request', '--so-pin-out must be outside the device directory: the SO PIN is not kept on the device host');
  if (existsSync(abs)) throw new ApplianceError('conflict', `${abs} exists; the SO PIN file is never overwritten`);
}

export async function runCeremonyKeygen(opts: { varRoot: string; name: string; group: string; label: string; count: number; progress?: Progress }): Promise<CborMap[]> {
  const say = opts.progress ?? quiet;
  if (!Number.isInteger(opts.count) || opts.count < 1 || opts.count > 10_000) throw new ApplianceError('bad_request', '--count must be from 1 to 10000');
  const paths = devicePaths(opts.varRoot, opts.name);
  await assertApplianceStopped(paths);
  const { dev } = openLocalDevice(opts.varRoot, opts.name);
  try {
    const keys: CborMap[] = [];
    for (let i = 1; i <= opts.count; i++) {
      const label = opts.count === 1 ? opts.label : `${opts.label}-${i}`;
      keys.push(await dispatch(dev, 'key.generate', { label, group: opts.group }));
      if (opts.count === 1 || i === opts.count || i % Math.max(1, Math.floor(opts.count / 20)) === 0) say(`key ${i}/${opts.count} generated (${label} ${String(keys[keys.length - 1]?.address)})`);
    }
    return keys;
  } finally {
    closeDevice(dev);
  }
}

export interface BackupResult {
  backupId: string;
  backupFile: string;
  shareFiles: string[];
  keyIds: string[];
  auditSeq: number;
  stateHash: string;
}

export async function runCeremonyBackup(opts: {
  varRoot: string;
  name: string;
  threshold: number;
  custodians: string[];
  outDir: string;
  witness: string;
  soPin: string;
  progress?: Progress;
}): Promise<BackupResult> {
  const say = opts.progress ?? quiet;
  checkLayout(opts.threshold, opts.custodians.length, opts.custodians);
  const paths = devicePaths(opts.varRoot, opts.name);
  await assertApplianceStopped(paths);
  const config = readDeviceConfig(paths);
  const outDir = resolve(opts.outDir);
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const backupId = `bk-${randomBytes(8).toString('hex')}`;
  const backupFile = join(outDir, `${backupId}.cbor`);
  assertOutputsFree(outDir, backupId, opts.custodians, [backupFile]);

  say('1/4 reading the keys and the state to carry');
  let opened = openLocalDevice(opts.varRoot, opts.name);
  let plan;
  try {
    plan = planBackup(opened.dev);
  } finally {
    closeDevice(opened.dev);
  }

  const wrapKey = new Uint8Array(randomBytes(32));
  let wrapped: Uint8Array[];
  let wrappedSeeds: Uint8Array[];
  let shares;
  let kcv: Uint8Array;
  try {
    const seeds = plan.seeds.length === 0 ? '' : ` and ${plan.seeds.length} HD seed(s)`;
    say(`2/4 wrapping ${plan.keys.length} key(s)${seeds} under a fresh AES-256 key the SO marks trusted (CKM_AES_KEY_WRAP_PAD)`);
    const all = wrapUnderTrustedKey(
      { modulePath: config.modulePath, tokenLabel: tokenLabelFromUri(config.tokenUri) },
      { so: opts.soPin, user: readSecretFile(paths.userPinFile) },
      wrapKey,
      plan.keys.map((k) => k.ckaId),
      plan.seeds.map((w) => w.ckaId),
    );
    wrapped = all.slice(0, plan.keys.length);
    wrappedSeeds = all.slice(plan.keys.length);
    say(`3/4 splitting the wrap key ${opts.threshold}-of-${opts.custodians.length} among the custodians`);
    kcv = keyCheckValue(wrapKey, backupId);
    shares = await splitWrapKey(wrapKey, { backupId, sourceDeviceId: config.deviceId, threshold: opts.threshold, custodians: opts.custodians });
  } finally {
    // The whole wrap key existed outside the token only here.
    wrapKey.fill(0);
  }

  say('4/4 signing the backup with the device key and logging it');
  opened = openLocalDevice(opts.varRoot, opts.name);
  try {
    const shareDigests = shares.map((s) => shareDigest(backupId, s.index, s.custodian, Uint8Array.from(Buffer.from(s.share, 'hex'))));
    const sealed = await sealBackup(opened.dev, {
      plan,
      backupId,
      threshold: opts.threshold,
      shares: opts.custodians.length,
      custodians: opts.custodians,
      witness: opts.witness,
      kcv,
      shareDigests,
      wrapped,
      wrappedSeeds,
    });
    writeFileSync(backupFile, sealed.file, { mode: 0o600, flag: 'wx' });
    const shareFiles = writeShareFiles(outDir, shares);
    for (const s of shares) s.share = '';
    return { backupId, backupFile, shareFiles, keyIds: plan.keys.map((k) => k.keyId), auditSeq: sealed.entry.seq, stateHash: hex(plan.stateHash) };
  } finally {
    closeDevice(opened.dev);
  }
}

export interface RestoreResult {
  deviceId: string;
  sourceDeviceId: string;
  keys: { keyId: string; address: string }[];
  auditSeq: number;
  sharesUsed: { index: number; custodian: string }[];
}

export async function runCeremonyRestore(opts: {
  varRoot: string;
  name: string;
  backupFile: string;
  shareFiles: string[];
  approvals: Approval[];
  witness: string;
  soPinOut: string;
  caCertFile?: string;
  progress?: Progress;
}): Promise<RestoreResult> {
  const say = opts.progress ?? quiet;
  // Everything is checked before anything is written.
  say('1/5 checking the backup signature against the manufacturer CA');
  const caCertPem = readFileSync(opts.caCertFile ?? manufacturerFiles(opts.varRoot).certPem, 'utf8');
  const backup = await verifyBackupFile(new Uint8Array(readFileSync(opts.backupFile)), caCertPem);
  const { counted } = checkRestoreApprovals(backup, opts.approvals, Math.floor(Date.now() / 1000));
  say(`   approved by admins ${counted.join(', ')}`);
  say(`2/5 checking ${opts.shareFiles.length} share file(s) (backup ${backup.backupId} needs ${backup.threshold})`);
  const shares = opts.shareFiles.map((path) => ({ path, share: readShareFile(path) }));
  const wrapKey = await combineShares(shares, backup);
  try {
    if (Buffer.compare(Buffer.from(keyCheckValue(wrapKey, backup.backupId)), Buffer.from(backup.kcv)) !== 0) {
      throw new ApplianceError('bad_request', "the shares do not rebuild this backup's wrap key (key check value differs): one of them is from another split or was altered");
    }
    failIfExists(opts.varRoot, opts.name);
    assertSoPinOut(opts.soPinOut, devicePaths(opts.varRoot, opts.name).dir);
    const ca = loadManufacturer(opts.varRoot);
    const paths = devicePaths(opts.varRoot, opts.name);
    try {
      say(`3/5 creating the new token (new PINs: user PIN 0600 under secrets/, SO PIN 0600 to ${opts.soPinOut})`);
      const config = createDeviceToken({ varRoot: opts.varRoot, name: opts.name, deviceId: backup.sourceDeviceId, soPinFile: opts.soPinOut });
      const state = backup.payload.state as CborMap;
      const records = state.keys as CborMap[];
      const wrappedById = new Map((backup.payload.keys as CborMap[]).map((k) => [String(k.keyId), k.wrapped as Uint8Array]));
      // Keys derived from an HD seed are derived again from the restored seed, not unwrapped.
      const derivedAt = new Map(snapshotHdKeys(state).map((h) => [String(h.keyId), { walletId: String(h.walletId), path: String(h.path) }]));
      const seeds = hdSeedsToRestore(backup.payload, state, derivedAt);
      const keys = records
        .filter((k) => !derivedAt.has(String(k.keyId)))
        .map((k) => {
          const wrapped = wrappedById.get(String(k.keyId));
          if (!wrapped) throw new ApplianceError('bad_request', `backup has no wrapped value for key ${String(k.keyId)}`);
          return { ckaId: k.ckaId as Uint8Array, label: String(k.label), publicKey: k.publicKey as Uint8Array, wrapped };
        });
      say(`4/5 unwrapping ${keys.length} key(s) into the new token and checking each against its public key`);
      const probe = sha256(new TextEncoder().encode(`restore-check:${backup.backupId}`));
      const sigs = unwrapIntoToken({ modulePath: config.modulePath, tokenLabel: tokenLabelFromUri(config.tokenUri) }, readSecretFile(paths.userPinFile), wrapKey, keys, probe);
      sigs.forEach((sig, i) => {
        if (!secp256k1.verify(sig, probe, keys[i]!.publicKey, { prehash: false, lowS: false }))
          throw new ApplianceError('internal', `restored key ${hex(keys[i]!.ckaId)} does not match its recorded public key`);
      });
      if (seeds.length > 0) {
        say(`   unwrapping ${seeds.length} HD seed(s) and deriving their ${derivedAt.size} key(s) again, each checked against its recorded public key`);
        restoreHdSeeds({ modulePath: config.modulePath, tokenLabel: tokenLabelFromUri(config.tokenUri) }, readSecretFile(paths.userPinFile), wrapKey, seeds);
      }
      wrapKey.fill(0);
      say('5/5 new attestation identity; the first audit entry names the source device and the backup');
      const { dev } = openLocalDevice(opts.varRoot, opts.name);
      try {
        const sharesUsed = shares.map(({ share }) => ({ index: share.index, custodian: share.custodian }));
        const res = await restoreDevice(dev, ca, { backup, sharesUsed, approvals: opts.approvals, witness: opts.witness });
        writeFileSync(join(paths.dir, 'device-cert.pem'), res.deviceCertPem);
        return { deviceId: dev.config.deviceId, sourceDeviceId: backup.sourceDeviceId, keys: res.keys.map((k) => ({ keyId: k.keyId, address: k.address })), auditSeq: res.entry.seq, sharesUsed };
      } finally {
        closeDevice(dev);
      }
    } catch (err) {
      rmSync(paths.dir, { recursive: true, force: true });
      rmSync(opts.soPinOut, { force: true });
      throw err;
    }
  } finally {
    wrapKey.fill(0);
  }
}

/** The backup's wrapped HD seeds with the keys to derive again from each (docs/hd-wallets.md). */
function hdSeedsToRestore(payload: CborMap, state: CborMap, derivedAt: Map<string, { walletId: string; path: string }>): SeedToRestore[] {
  const wrapped = new Map((Array.isArray(payload.seeds) ? (payload.seeds as CborMap[]) : []).map((w) => [String(w.walletId), w.wrapped as Uint8Array]));
  const records = state.keys as CborMap[];
  const seeds = snapshotHdWallets(state).map((w) => {
    const walletId = String(w.walletId);
    const blob = wrapped.get(walletId);
    if (!blob) throw new ApplianceError('bad_request', `backup has no wrapped seed for HD wallet ${walletId}`);
    const keys = records
      .filter((k) => derivedAt.get(String(k.keyId))?.walletId === walletId)
      .map((k) => ({ ckaId: k.ckaId as Uint8Array, label: String(k.label), path: derivedAt.get(String(k.keyId))!.path, publicKey: k.publicKey as Uint8Array }));
    return { walletId, ckaId: w.seedCkaId as Uint8Array, label: `hd-seed:${String(w.label)}`, wrapped: blob, keys };
  });
  for (const [keyId, at] of derivedAt)
    if (!seeds.some((s) => s.walletId === at.walletId)) throw new ApplianceError('bad_request', `backup has derived key ${keyId} but not its HD wallet ${at.walletId}`);
  return seeds;
}
