// The key ceremony walkthrough of docs/ceremony.md as a test, so it cannot drift: its blocks (marked
// `<!-- ceremony:NAME -->`) run with bash, in order and as written, from a stand-in checkout (a fresh
// folder with a `.git` entry and this build's dist/) with HOME a fresh folder, so `~/ceremony-prod` is
// made there. The first block (`hsmctl`) starts every step, the second (`folder`) too, as if all were
// pasted in one shell. Checked: the ceremony's outputs are refused inside the repository (the key block
// pasted without `folder`); then the people's key files, the plan signed by two admins, a device created
// with that signed first policy and its transcript (verified against the manufacturer CA), three keys
// with certificates signed by the device's attestation key, a 3-of-5 backup with its share files in the
// folder the operator named, and a restore into a new device (`prod-2`, the source left as it was)
// with the same key addresses. Nothing lands in the checkout.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { markedBlocks, runBlock } from '../helpers/guide-shell.js';
import { repoRoot } from '../helpers/vectors.js';

/** The longest one block may take (a few hsmctl calls, each a SoftHSM2 token operation). */
const BLOCK_MS = 120_000;
const dir = mkdtempSync(join(tmpdir(), 'ceremony-guide-'));
const checkout = join(dir, 'checkout');
const home = join(dir, 'home');
const folder = join(home, 'ceremony-prod');

after(() => rmSync(dir, { recursive: true, force: true }));

/** docs/ceremony.md's `<!-- ceremony:NAME -->` blocks by name, in order. */
const ceremonySteps = (): Map<string, string> => new Map(markedBlocks(join(repoRoot, 'docs', 'ceremony.md'), 'ceremony').map((b) => [b.name, b.body]));

/** Runs a script with bash at the stand-in checkout's root, bounded. */
const bash = (script: string) => runBlock(script, { cwd: checkout, home, ms: BLOCK_MS, clear: ['HSM_VAR', 'CHECKOUT', 'SO'] });

/** The JSON documents hsmctl printed one after another (each pretty-printed, ending with a `}` line). */
const jsonDocs = (stdout: string): Record<string, unknown>[] =>
  stdout
    .split(/^}\n/m)
    .filter((s) => s.trim() !== '')
    .map((s) => JSON.parse(`${s}}`) as Record<string, unknown>);

const readJson = <T>(file: string): T => JSON.parse(readFileSync(join(folder, file), 'utf8')) as T;

test("docs/ceremony.md's walkthrough in order: refused in the repository; plan, admin signatures, init, keygen, 3-of-5 backup, restore into a new device", async () => {
  const steps = ceremonySteps();
  assert.deepEqual([...steps.keys()], ['hsmctl', 'folder', 'people', 'policy', 'plan', 'init', 'keygen', 'backup', 'restore'], 'the ceremony blocks, in order');
  mkdirSync(join(checkout, '.git'), { recursive: true });
  symlinkSync(join(repoRoot, 'dist'), join(checkout, 'dist'));
  mkdirSync(home);

  const block = (name: string) => steps.get(name)!;
  const run = async (name: string, o: { setup?: string } = {}) => {
    const setup = o.setup ?? `${block('hsmctl')}\n${block('folder')}`;
    const r = await bash(`set -e -o pipefail\n${setup}\n${block(name)}`);
    assert.equal(r.code, 0, `ceremony step ${name} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    return r;
  };

  // Pasted at the repository root, without moving to the ceremony's folder: the first key file is refused.
  const inRepo = await bash(`set -e -o pipefail\n${block('hsmctl')}\n${block('people')}`);
  assert.notEqual(inRepo.code, 0, 'refused inside the repository');
  assert.match(inRepo.stderr, /inside the repository .*checkout.*`git add \.` would commit it/);
  assert.deepEqual(
    readdirSync(checkout).filter((f) => f.endsWith('.key.json')),
    [],
    'no private key file in the checkout',
  );

  // The people's keys and the policy (its requester's key on another "host") do not depend on each other.
  await Promise.all([run('people'), run('policy')]);
  for (const who of ['admin-1', 'admin-2', 'admin-3', 'alice', 'bob']) {
    const pub = readJson<Record<string, unknown>>(`${who}.pub.json`);
    assert.equal(pub.id, who);
    assert.ok(typeof pub.publicKey === 'string' && !('privateKey' in pub), `${who}.pub.json is the public part only`);
    assert.equal(statSync(join(folder, `${who}.key.json`)).mode & 0o777, 0o600, `${who}.key.json is 0600`);
  }
  const policy = readJson<{ requesters: { id: string; publicKey?: string; groups: string[] }[] }>('policy.json');
  assert.equal(policy.requesters[0]?.id, 'withdrawals-service');
  assert.match(String(policy.requesters[0]?.publicKey), /^0x[0-9a-f]+$/, "the requester's request key is in the policy");

  await run('plan');
  const plan = readJson<{ deviceId: string; policyHash: string }>('plan.json');
  for (const a of ['admin-1', 'admin-3']) assert.equal(readJson<{ adminId: string; policyHash: string }>(`${a}.sig.json`).policyHash, plan.policyHash, `${a} signed the plan's policy`);

  const init = await run('init');
  const [created, verified] = jsonDocs(init.stdout);
  assert.equal(created?.deviceId, plan.deviceId, 'the device of the plan');
  assert.equal(`0x${String(created?.policyHash)}`, plan.policyHash, 'its first policy is the signed one');
  assert.equal(verified?.ok, true, `the transcript verifies: ${init.stdout}`);
  assert.equal(verified?.chainChecked, true, "the device certificate's chain to the manufacturer CA was checked");
  assert.equal(verified?.entries, 1);
  const transcript = readFileSync(join(folder, 'transcript-prod', 'transcript.md'), 'utf8');
  assert.ok(transcript.includes(plan.policyHash.slice(2)) && /\| admin-1 \|.*\n\| admin-3 \|/.test(transcript), 'the transcript names the policy and the admins who signed it');
  assert.match(transcript, /Operator: olga; witness: wanda/);
  assert.ok(existsSync(join(home, 'so-medium', 'prod-so.pin')), "the SO PIN went to the security officer's medium");
  assert.ok(!existsSync(join(folder, 'var', 'prod', 'secrets', 'so.pin')), 'and is not on the device host');

  await run('keygen');
  const keys = readJson<{ address: string; group: string; policyHash: string; certificate: string }[]>('keys-prod.json');
  assert.equal(keys.length, 3);
  const deviceCert = new X509Certificate(readFileSync(join(folder, 'transcript-prod', 'device-cert.pem')));
  for (const k of keys) {
    assert.equal(k.group, 'hot');
    assert.equal(k.policyHash, plan.policyHash);
    const cert = new X509Certificate(k.certificate);
    assert.ok(cert.verify(deviceCert.publicKey), `the certificate of ${k.address} is signed by the device's attestation key`);
  }

  await run('backup');
  const backupDir = join(folder, 'backup-prod');
  const files = readdirSync(backupDir).sort();
  const id = /^(bk-[0-9a-f]+)\.cbor$/.exec(files.find((f) => f.endsWith('.cbor')) ?? '')?.[1];
  assert.ok(id, `a backup file in the folder named by --out: ${files.join(', ')}`);
  const custodians = ['carol', 'dave', 'erin', 'frank', 'grace'];
  assert.deepEqual(files, [`${id}.cbor`, ...custodians.map((c, i) => `${id}-share-${i + 1}-of-5-${c}.json`)].sort(), 'the backup and one share file per custodian, in that folder');
  for (const [i, c] of custodians.entries()) {
    const share = JSON.parse(readFileSync(join(backupDir, `${id}-share-${i + 1}-of-5-${c}.json`), 'utf8')) as Record<string, unknown>;
    assert.deepEqual([share.backupId, share.custodian, share.index, share.threshold, share.shares], [id, c, i + 1, 3, 5]);
  }

  await run('restore');
  const restored = readJson<{ deviceId: string; keys: { address: string }[]; sharesUsed: { custodian: string }[] }>('restored-prod-2.json');
  assert.equal(restored.deviceId, plan.deviceId, 'the restored device keeps the device id');
  assert.deepEqual(restored.keys.map((k) => k.address).sort(), keys.map((k) => k.address).sort(), 'every key keeps its address');
  assert.deepEqual(
    restored.sharesUsed.map((s) => s.custodian),
    ['carol', 'erin', 'grace'],
  );
  assert.deepEqual(readdirSync(join(folder, 'var')).sort(), ['manufacturer', 'prod', 'prod-2'], 'a new device beside the source');
  assert.ok(existsSync(join(folder, 'var', 'prod', 'device.json')), 'the source device is untouched');
  assert.ok(existsSync(join(home, 'so-medium', 'prod-2-so.pin')), "the new device's SO PIN on the security officer's medium");

  assert.deepEqual(
    readdirSync(checkout).filter((f) => !['.git', 'dist', 'admin-1.pub.json'].includes(f)),
    [],
    'nothing of the ceremony in the checkout (the refused attempt left only its empty public-key redirect)',
  );
});
