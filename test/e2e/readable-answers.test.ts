// Readable everywhere, end to end on a real device (SoftHSM2 token, the appliance process, the bridge):
// a denial's reasons carry the sentence of their code beside the evaluator's message, a whitelist hold
// names when it ends in ISO 8601, times carry their ISO string beside the epoch, and each line of the
// audit export's JSON Lines holds the payload its COSE_Sign1 bytes decode to, plus only the readable
// members (amount in ETH, ISO times, explanations). `hsmctl audit show` reads the same entry the same way.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { entryPayload } from '../../attestation/audit-entry-view.js';
import { cborToJson, type Json } from '../../host-bridge/json-cbor.js';
import { AMOUNT_UNITS, EXPLANATION, ISO_SUFFIX, MAX_FEE_UNITS, TIME_FIELDS } from '../../host-bridge/readable-json.js';
import { isoTime } from '../../protocol/iso-time.js';
import { REASON_TEXTS } from '../../firmware-policy/reason-texts.js';
import { startBridge, type RunningBridge } from '../../host-bridge/main.js';
import { repoRoot } from '../helpers/vectors.js';
import { CHAIN_ID, startTestDevice, whitelist, type TestDevice } from '../helpers/test-device.js';

type Obj = Record<string, Json>;
let dev: TestDevice;

const sign = (to: string, nonce: number, key: string) =>
  dev.request(
    'POST',
    '/v1/sign/evm-transaction',
    dev.tokens.orchestrator,
    { keyId: String(dev.keys[0]?.keyId), transaction: { type: 'eip1559', chainId: CHAIN_ID, nonce, to, value: '1000', gasLimit: 21000, maxFeePerGas: '2000000000', maxPriorityFeePerGas: '1' } },
    { 'Idempotency-Key': key },
  );

/** `v` without the members readable-json.ts adds: what the signed bytes hold. */
function withoutReadable(v: Json): Json {
  if (Array.isArray(v)) return v.map(withoutReadable);
  if (typeof v !== 'object' || v === null) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    const added = k === AMOUNT_UNITS || k === MAX_FEE_UNITS || k === EXPLANATION || (k.endsWith(ISO_SUFFIX) && (TIME_FIELDS as readonly string[]).includes(k.slice(0, -ISO_SUFFIX.length)));
    if (!added) out[k] = withoutReadable(x);
  }
  return out;
}

function hsmctl(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist', 'cli', 'hsmctl.js'), ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('readable answers on a real device', () => {
  let denied: Obj;
  let held: Obj;

  before(async () => {
    dev = await startTestDevice();
    denied = (await sign(privateKeyToAccount(generatePrivateKey()).address, 0, 'readable-stranger')).json as Obj;
    const recipient = privateKeyToAccount(generatePrivateKey()).address;
    await whitelist(dev, recipient);
    // The device's time has not moved: the recipient is still in the test policy's 2 s hold.
    held = (await sign(recipient, 1, 'readable-held')).json as Obj;
  });
  after(() => dev?.stop());

  test("a denial's reasons carry their code's sentence beside rule, code and the evaluator's message", () => {
    assert.equal(denied.status, 'denied');
    const [r] = denied.reasons as Obj[];
    assert.equal(r?.code, 'not_whitelisted');
    assert.equal(r?.rule, 'whitelist');
    assert.equal(r?.message, 'recipient is not on the whitelist');
    assert.equal(r?.explanation, REASON_TEXTS.not_whitelisted);
  });

  test('a whitelist hold says when the destination can be signed, in ISO 8601 UTC', () => {
    assert.equal(held.status, 'denied', JSON.stringify(held));
    const [r] = held.reasons as Obj[];
    const detail = r?.detail as Obj;
    assert.equal(r?.code, 'whitelist_hold');
    assert.equal(typeof detail.activeAt, 'number');
    assert.equal(detail.activeAtIso, isoTime(detail.activeAt as number));
    assert.equal(r?.explanation, `the destination was whitelisted less than the group's hold ago; it can be signed from ${isoTime(detail.activeAt as number)}`);
  });

  test('a request and the device time carry ISO strings beside their epoch seconds', async () => {
    const read = await dev.request('GET', `/v1/requests/${String(denied.requestId)}`, dev.tokens.auditor);
    assert.equal(read.status, 403, JSON.stringify(read.json));
    assert.equal(read.json.createdAtIso, isoTime(read.json.createdAt as number));
    assert.equal(read.json.updatedAtIso, isoTime(read.json.updatedAt as number));
    const time = (await dev.request('GET', '/v1/device/time', dev.tokens.admin)).json;
    for (const k of ['time', 'latest', 'hostTime']) assert.equal(time[`${k}Iso`], isoTime(time[k] as number), k);
    assert.equal((time.statement as Obj).time, null, 'the statement admins sign is left as it is');
    assert.equal('timeIso' in (time.statement as Obj), false);
  });

  test('each JSON Lines line of the audit export holds what its COSE bytes decode to, plus the readable members', async () => {
    const res = await dev.app.request('/v1/audit/export?format=jsonl', { headers: { Authorization: `Bearer ${dev.tokens.auditor}` } });
    assert.equal(res.status, 200);
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Obj);
    assert.ok(lines.length >= 5, `${lines.length} lines`);
    for (const line of lines) {
      const stored = entryPayload(new Uint8Array(Buffer.from(String(line.entry).slice(2), 'hex')));
      assert.deepEqual(withoutReadable(line.payload as Json), cborToJson(stored), `seq ${String(line.seq)}`);
      const payload = line.payload as Obj;
      assert.equal(payload.seq, line.seq);
      assert.equal(payload.timeIso, isoTime(payload.time as number), `seq ${String(line.seq)} time`);
    }
    const decision = lines.map((l) => l.payload as Obj).find((p) => p.requestId === denied.requestId);
    assert.ok(decision, 'the denial has its entry');
    assert.equal(decision.kind, 'sign.evm-tx');
    assert.equal(decision.outcome, 'deny');
    assert.equal((decision.intent as Obj).amount, 1000, 'a small amount decodes as a number');
    assert.equal((decision.intent as Obj).amountUnits, '0.000000000000001 ETH');
    // 21000 gas at 2 gwei: the worst-case fee the fee cap judges.
    assert.equal(String((decision.intent as Obj).maxFee), '42000000000000');
    assert.equal((decision.intent as Obj).maxFeeUnits, '0.000042 ETH');
    assert.equal(((decision.reasons as Obj[])[0] as Obj).explanation, REASON_TEXTS.not_whitelisted);
    assert.equal(decision.intentDigest, denied.intentDigest);

    // hsmctl reads the same entry from the appliance's socket with the same decoder and the same words.
    const shown = await hsmctl(['audit', 'show', String(denied.auditSeq), '--var', dev.varRoot, '--device', 'dev']);
    assert.equal(shown.code, 0, shown.stderr);
    const entry = JSON.parse(shown.stdout) as Obj;
    assert.deepEqual(entry.payload, decision);
  });

  test('hsmctl audit export --format jsonl writes the JSON Lines the bridge serves, and resumes after the last line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'readable-'));
    let bridge: RunningBridge | undefined;
    try {
      bridge = await startBridge({ socketPath: dev.paths.socket, tokensFile: dev.paths.bridgeTokens, host: '127.0.0.1', port: 0 });
      const file = join(dir, 'audit.jsonl');
      const run = () => hsmctl(['audit', 'export', '--format', 'jsonl', '--out', file, '--url', bridge!.url], { HSM_TOKEN: dev.tokens.auditor });
      const first = await run();
      assert.equal(first.code, 0, first.stderr);
      const served = await (await dev.app.request('/v1/audit/export?format=jsonl', { headers: { Authorization: `Bearer ${dev.tokens.auditor}` } })).text();
      assert.equal(readFileSync(file, 'utf8'), served);
      const again = await run();
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /exported 0 entries/);
      assert.equal(readFileSync(file, 'utf8'), served, 'nothing written twice');
      const more = (await sign(privateKeyToAccount(generatePrivateKey()).address, 2, 'readable-more')).json as Obj;
      assert.equal((await run()).code, 0);
      const lines = readFileSync(file, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Obj);
      const last = lines[lines.length - 1]!;
      assert.equal(last.seq, more.auditSeq);
      assert.equal((last.payload as Obj).requestId, more.requestId);
      assert.deepEqual(
        lines.map((l) => l.seq),
        lines.map((_, i) => (lines[0]!.seq as number) + i),
        'contiguous, no entry twice',
      );
      const bad = await hsmctl(['audit', 'export', '--format', 'csv', '--out', file, '--url', bridge.url], { HSM_TOKEN: dev.tokens.auditor });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /--format expected cbor-seq or jsonl/);
    } finally {
      await bridge?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
