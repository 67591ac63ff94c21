// The auditor's toolkit end to end: a real device makes 1,000+ attested entries (allowed, denied,
// whitelist and policy entries); `hsmctl audit export` streams them over HTTP (resumably),
// `hsmctl audit verify` accepts the export against the manufacturer CA and a quote, and detects each
// kind of tampering; `hsmctl audit replay` confirms every decision and flags an edited one; openssl
// verifies the real device and key certificates.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../protocol/cbor.js';
import { COSE_ALG_ES256, decodeCoseSign1, signCoseSign1Sync } from '../../attestation/cose-sign1.js';
import { ATTESTATION_OIDS } from '../../attestation/certificates.js';
import { splitCborSeq } from '../../attestation/cbor-seq.js';
import { startBridge, type RunningBridge } from '../../host-bridge/main.js';
import { repoRoot } from '../helpers/vectors.js';
import { advanceDeviceTime, CHAIN_ID, startTestDevice, whitelist, type TestDevice } from '../helpers/test-device.js';

const HSMCTL = join(repoRoot, 'dist', 'cli', 'hsmctl.js');
let dev: TestDevice;
let other: TestDevice;
let bridge: RunningBridge;
let dir: string;
let exportFile: string;
let certFile: string;
let caFile: string;
let quoteFile: string;

/** Runs the CLI as its own process, asynchronously: the bridge it talks to runs in this process. */
function hsmctl(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [HSMCTL, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function writeItems(file: string, items: Uint8Array[]): void {
  writeFileSync(file, Buffer.concat(items.map((i) => Buffer.from(i))));
}

async function verify(file: string, withQuote = true) {
  const args = ['audit', 'verify', file, '--device-cert', certFile, '--ca', caFile];
  if (withQuote) args.push('--quote', quoteFile);
  const r = await hsmctl(args);
  return { ...r, report: r.stdout ? (JSON.parse(r.stdout) as { ok: boolean; entries: number; fault?: { index: number; seq: number | null; reason: string } }) : undefined };
}

const payloadOf = (cose: Uint8Array) => decodeCanonical(decodeCoseSign1(cose).payload!) as CborMap;

async function makeTraffic(d: TestDevice, allowed: number, denied: number, tag: string) {
  const keyId = String(d.keys[0]?.keyId);
  const recipient = privateKeyToAccount(generatePrivateKey()).address;
  await whitelist(d, recipient);
  await advanceDeviceTime(d, 2); // past the test policy's 2 s whitelist hold, on the device's own clock
  const stranger = privateKeyToAccount(generatePrivateKey()).address;
  const jobs: (() => Promise<unknown>)[] = [];
  for (let i = 0; i < allowed + denied; i++) {
    const to = i < allowed ? recipient : stranger;
    jobs.push(() =>
      d.request(
        'POST',
        '/v1/sign/evm-transaction',
        d.tokens.orchestrator,
        {
          keyId,
          transaction: { type: 'eip1559', chainId: CHAIN_ID, nonce: i, to, value: '1000', gasLimit: 21000, maxFeePerGas: '2000000000', maxPriorityFeePerGas: '1' },
        },
        { 'Idempotency-Key': `${tag}-${i}` },
      ),
    );
  }
  for (let i = 0; i < jobs.length; i += 25) await Promise.all(jobs.slice(i, i + 25).map((j) => j()));
}

describe('auditor toolkit: export, verify, replay', () => {
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'audit-'));
    dev = await startTestDevice();
    other = await startTestDevice();
    await makeTraffic(dev, 620, 400, 'a');
    bridge = await startBridge({ socketPath: dev.paths.socket, tokensFile: dev.paths.bridgeTokens, host: '127.0.0.1', port: 0 });
    const info = await dev.request('GET', '/v1/device', dev.tokens.auditor);
    certFile = join(dir, 'device-cert.pem');
    caFile = join(dir, 'ca-cert.pem');
    writeFileSync(certFile, String(info.json.deviceCertificate));
    writeFileSync(caFile, String(info.json.caCertificate));
    exportFile = join(dir, 'audit.cbor');
    quoteFile = join(dir, 'quote.json');
  });
  after(async () => {
    await bridge?.close();
    await dev?.stop();
    await other?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('hsmctl audit export streams 1,000+ entries, resumes without duplicates, and audit verify accepts them', async () => {
    const env = { HSM_TOKEN: dev.tokens.auditor };
    const first = await hsmctl(['audit', 'export', '--out', exportFile, '--url', bridge.url], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /exported 1[0-9]{3} entries \(up to seq/, 'progress is shown on long exports');
    const n1 = splitCborSeq(new Uint8Array(readFileSync(exportFile))).length;
    assert.ok(n1 >= 1000, `${n1} entries`);
    // More activity, then resume: only the new entries are appended.
    await makeTraffic(dev, 3, 2, 'b');
    const again = await hsmctl(['audit', 'export', '--out', exportFile, '--url', bridge.url], env);
    assert.equal(again.code, 0, again.stderr);
    const items = splitCborSeq(new Uint8Array(readFileSync(exportFile)));
    assert.ok(items.length > n1);
    items.forEach((it, i) => assert.equal(payloadOf(it).seq, i + 1, 'contiguous, no duplicates'));
    const kinds = new Set(items.map((it) => String(payloadOf(it).kind)));
    for (const k of ['device.provision', 'policy.init', 'key.generate', 'whitelist.propose', 'whitelist.approve', 'sign.evm-tx']) assert.ok(kinds.has(k), k);
    const outcomes = new Set(items.map((it) => String(payloadOf(it).outcome)));
    assert.ok(outcomes.has('allow') && outcomes.has('deny'));

    const quote = await hsmctl(['device', 'attest', '--out', quoteFile, '--url', bridge.url], env);
    assert.equal(quote.code, 0, quote.stderr);
    const ok = await verify(exportFile);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.report?.ok, true);
    assert.equal(ok.report?.entries, items.length);
  });

  const entries = (): Uint8Array[] => splitCborSeq(new Uint8Array(readFileSync(exportFile))).map((e) => new Uint8Array(e));
  const tampered = (name: string, items: Uint8Array[]) => {
    const f = join(dir, `${name}.cbor`);
    writeItems(f, items);
    return verify(f);
  };

  test('the verifier detects one flipped byte', async () => {
    const items = entries();
    const e = items[500]!;
    e[Math.floor(e.length / 2)]! ^= 0x01;
    const r = await tampered('flipped', items);
    assert.equal(r.code, 1);
    assert.equal(r.report?.fault?.index, 500);
  });

  test('the verifier detects a dropped entry', async () => {
    const items = entries();
    items.splice(400, 1);
    const r = await tampered('dropped', items);
    assert.equal(r.code, 1);
    assert.equal(r.report?.fault?.index, 400);
    assert.match(String(r.report?.fault?.reason), /missing or out of order/);
  });

  test('the verifier detects two entries swapped', async () => {
    const items = entries();
    [items[300], items[301]] = [items[301]!, items[300]!];
    const r = await tampered('swapped', items);
    assert.equal(r.code, 1);
    assert.equal(r.report?.fault?.index, 300);
  });

  test('the verifier detects a truncated tail, checked against a quote', async () => {
    const items = entries().slice(0, -7);
    const withoutQuote = join(dir, 'truncated.cbor');
    writeItems(withoutQuote, items);
    assert.equal((await verify(withoutQuote, false)).code, 0, 'a prefix alone is a consistent log');
    const r = await tampered('truncated', items);
    assert.equal(r.code, 1);
    assert.match(String(r.report?.fault?.reason), /truncated/);
  });

  test('the verifier detects an entry spliced in from another device', async () => {
    const page = await other.request('GET', '/v1/audit?fromSeq=1&limit=5', other.tokens.auditor);
    const foreign = (page.json.entries as { seq: number; entry: string }[]).find((e) => e.seq === 3)!;
    const items = entries();
    items[2] = new Uint8Array(Buffer.from(foreign.entry.slice(2), 'hex'));
    const r = await tampered('spliced', items);
    assert.equal(r.code, 1);
    assert.equal(r.report?.fault?.index, 2);
    assert.match(String(r.report?.fault?.reason), /kid is not this device|signature/);
  });

  test("the verifier detects an entry re-signed with a key that is not the device's", async () => {
    const items = entries();
    const victim = items[600]!;
    const payload = payloadOf(victim);
    const forger = p256.keygen().secretKey;
    items[600] = signCoseSign1Sync({
      alg: COSE_ALG_ES256,
      kid: String(payload.deviceId),
      payload: encodeCanonical({ ...payload, outcome: 'allow' }),
      sign: (tbs) => p256.sign(tbs, forger, { prehash: true, format: 'compact' }),
    });
    const r = await tampered('resigned', items);
    assert.equal(r.code, 1);
    assert.equal(r.report?.fault?.index, 600);
    assert.match(String(r.report?.fault?.reason), /signature does not verify/);
  });

  test('hsmctl audit replay confirms every decision, and flags an edited, re-signed one', async () => {
    const r = await hsmctl(['audit', 'replay', exportFile]);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { decisions: number; confirmed: number; mismatches: unknown[] };
    assert.ok(report.decisions >= 1000, `${report.decisions} decisions`);
    assert.equal(report.confirmed, report.decisions);

    // Edit one recorded denial into an allow and re-sign it with a test key (replay trusts no signature).
    const items = entries();
    const idx = items.findIndex((e) => payloadOf(e).outcome === 'deny');
    const payload = payloadOf(items[idx]!);
    const testKey = p256.keygen().secretKey;
    items[idx] = signCoseSign1Sync({
      alg: COSE_ALG_ES256,
      kid: String(payload.deviceId),
      payload: encodeCanonical({ ...payload, outcome: 'allow', reasons: [] }),
      sign: (tbs) => p256.sign(tbs, testKey, { prehash: true, format: 'compact' }),
    });
    const edited = join(dir, 'edited.cbor');
    writeItems(edited, items);
    const bad = await hsmctl(['audit', 'replay', edited]);
    assert.equal(bad.code, 1);
    const badReport = JSON.parse(bad.stdout) as { mismatches: { seq: number; why: string }[] };
    assert.equal(badReport.mismatches.length, 1);
    assert.equal(badReport.mismatches[0]?.seq, payload.seq);
    assert.match(badReport.mismatches[0]!.why, /recorded outcome allow, replay gives deny/);
  });

  test('openssl verifies the real device certificate and a key attestation certificate, whose extensions it shows', async () => {
    const key = await dev.request('GET', `/v1/keys/${String(dev.keys[0]?.keyId)}`, dev.tokens.orchestrator);
    const keyFile = join(dir, 'key-cert.pem');
    writeFileSync(keyFile, String(key.json.certificate));
    assert.match(execFileSync('openssl', ['verify', '-CAfile', caFile, certFile], { encoding: 'utf8' }), /: OK/);
    assert.match(execFileSync('openssl', ['verify', '-CAfile', caFile, '-untrusted', certFile, keyFile], { encoding: 'utf8' }), /: OK/);
    const text = execFileSync('openssl', ['x509', '-in', keyFile, '-noout', '-text'], { encoding: 'utf8' });
    for (const oid of [ATTESTATION_OIDS.generatedOnDevice, ATTESTATION_OIDS.nonExtractable, ATTESTATION_OIDS.keyGroup, ATTESTATION_OIDS.policyHash, ATTESTATION_OIDS.measurement]) {
      assert.ok(text.includes(oid), `openssl shows ${oid}`);
    }
    assert.match(text, /secp256k1/);
  });
});
