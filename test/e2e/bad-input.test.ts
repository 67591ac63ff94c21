// Invariant 8 through the real appliance: bad input of any kind gets a clear, typed error and changes
// nothing; the appliance never crashes. Frames go straight to its socket, below the bridge.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import fc from 'fast-check';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../protocol/cbor.js';
import { encodeFrame, FrameReader } from '../../protocol/frame.js';
import { startTestDevice, CHAIN_ID, type TestDevice } from '../helpers/test-device.js';
import { entryPayload } from '../../cli/audit-tools.js';
import { problemOf } from '../helpers/problem.js';

let dev: TestDevice;

/** Sends raw frame bytes on a fresh connection and collects the decoded responses. */
function exchange(bytes: Uint8Array, expected: number): Promise<{ responses: CborMap[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(dev.paths.socket);
    const reader = new FrameReader(1 << 22);
    const responses: CborMap[] = [];
    let closed = false;
    const done = () => {
      sock.destroy();
      resolve({ responses, closed });
    };
    const timer = setTimeout(done, 3000);
    sock.on('data', (d) => {
      for (const f of reader.push(d)) responses.push(decodeCanonical(f) as CborMap);
      if (responses.length >= expected) {
        clearTimeout(timer);
        done();
      }
    });
    sock.on('end', () => (closed = true));
    sock.on('close', () => {
      closed = true;
      clearTimeout(timer);
      resolve({ responses, closed });
    });
    sock.on('error', reject);
    sock.write(bytes);
  });
}

const frame = (payload: Uint8Array) => encodeFrame(payload, 1 << 22);
const errCode = (r: CborMap | undefined) => (r?.error as CborMap | undefined)?.code as string | undefined;

async function auditHead(): Promise<number> {
  const h = await dev.client.call('health');
  return Number(h.auditHeadSeq);
}

describe('invariant 8: bad input gets a typed error and changes nothing', () => {
  let headBefore = 0;
  before(async () => {
    dev = await startTestDevice();
    headBefore = await auditHead();
  });
  after(async () => {
    await dev?.stop();
  });

  test('invariant 8: non-canonical CBOR is refused and the connection stays usable', async () => {
    // {"args": {}, "cmd": "health", "id": 1}: canonical order is id, cmd, args (shorter keys first).
    const nonCanonical = new Uint8Array([0xa3, 0x64, ...Buffer.from('args'), 0xa0, 0x63, ...Buffer.from('cmd'), 0x66, ...Buffer.from('health'), 0x62, ...Buffer.from('id'), 0x01]);
    const good = encodeCanonical({ id: 2, cmd: 'health', args: {} });
    const { responses } = await exchange(Buffer.concat([frame(nonCanonical), frame(good)]), 2);
    assert.equal(errCode(responses[0]), 'non_canonical');
    assert.equal(responses[0]?.id, null);
    assert.equal(responses[1]?.ok, true);
    assert.equal(responses[1]?.id, 2);
  });

  test('invariant 8: a frame over the limit is refused without being read, and the connection closed', async () => {
    const header = Buffer.alloc(4);
    header.writeUInt32BE(0x7fffffff);
    const { responses, closed } = await exchange(header, 2); // waits for the close
    assert.equal(errCode(responses[0]), 'frame_too_large');
    assert.equal(closed, true);
  });

  test('invariant 8: unknown commands, bad envelopes and bad arguments are typed errors naming the problem', async () => {
    const cases: [CborMap | Uint8Array, string][] = [
      [{ id: 1, cmd: 'key.export', args: {} }, 'unknown_command'],
      [{ id: 1, cmd: 'health' }, 'bad_request'],
      [{ id: 1, cmd: 'health', args: {}, extra: 1 }, 'bad_request'],
      [{ id: 1, cmd: 'sign.evm-tx', args: { requestId: 'x', requester: 'r', keyId: 'k', tx: { type: 'eip1559', chainId: CHAIN_ID, nonce: 'zero' } } }, 'bad_request'],
      [
        {
          id: 1,
          cmd: 'sign.evm-tx',
          args: { requestId: 'x', requester: 'r', keyId: 'nope', tx: { type: 'legacy', chainId: CHAIN_ID, nonce: 0, gasLimit: 21000, gasPrice: 1, to: new Uint8Array(20), value: 1 } },
        },
        'not_found',
      ],
      [{ id: 1, cmd: 'request.approve', args: { requestId: 'missing', approverId: 'a', expiresAt: 1, signature: new Uint8Array(64) } }, 'not_found'],
      [new Uint8Array([0xff, 0x00, 0x13]), 'bad_request'],
      [new Uint8Array([0xfa, 0x3f, 0x80, 0x00, 0x00]), 'bad_request'],
    ];
    for (const [msg, code] of cases) {
      const bytes = msg instanceof Uint8Array ? msg : encodeCanonical(msg);
      const { responses } = await exchange(frame(bytes), 1);
      assert.equal(errCode(responses[0]), code, `for ${JSON.stringify(msg, (_k, v) => (v instanceof Uint8Array ? `bytes(${v.length})` : v))}`);
      assert.equal(typeof (responses[0]?.error as CborMap).message, 'string');
    }
    const nonce = await exchange(
      frame(encodeCanonical({ id: 9, cmd: 'sign.evm-tx', args: { requestId: 'x', requester: 'r', keyId: 'k', tx: { type: 'eip1559', chainId: CHAIN_ID, nonce: 'zero' } } })),
      1,
    );
    assert.match(String((nonce.responses[0]?.error as CborMap).message), /"nonce"/);
  });

  test('invariant 8: random frames never crash the appliance', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 256 }), async (bytes) => {
        const { responses } = await exchange(frame(bytes), 1);
        const r = responses[0];
        assert.ok(r, 'a response came back');
        if (r.ok !== true) assert.ok(['bad_request', 'non_canonical', 'unknown_command'].includes(String(errCode(r))), String(errCode(r)));
      }),
      { numRuns: 150, seed: 8 },
    );
    assert.equal(dev.appliance.child.exitCode, null, 'still running');
  });

  test('invariant 8: the bridge answers bad HTTP input with typed 4xx errors', async () => {
    const keyId = String(dev.keys[0]?.keyId);
    const tx = { type: 'eip1559', chainId: CHAIN_ID, nonce: 0, to: '0x' + '11'.repeat(20), value: '1', gasLimit: 21000, maxFeePerGas: '2', maxPriorityFeePerGas: '1' };
    const post = (body: unknown, headers: Record<string, string> = { 'Idempotency-Key': 'bad-1' }, token = dev.tokens.orchestrator) =>
      dev.request('POST', '/v1/sign/evm-transaction', token, body, headers);
    const raw = await dev.app.request('/v1/sign/evm-transaction', { method: 'POST', headers: { Authorization: `Bearer ${dev.tokens.orchestrator}`, 'Idempotency-Key': 'bad-0' }, body: '{not json' });
    assert.equal(raw.status, 400);
    assert.equal(raw.headers.get('Content-Type'), 'application/problem+json');
    assert.equal(problemOf(await raw.json()).code, 'bad_request');
    assert.equal((await post({ keyId, transaction: tx }, {})).status, 400, 'missing Idempotency-Key');
    assert.equal((await post({ keyId, transaction: { ...tx, value: 1.5 } })).status, 400, 'float amount');
    assert.equal((await post({ keyId, transaction: { ...tx, surprise: 1 } })).status, 400, 'unknown field');
    assert.equal((await post({ keyId, transaction: { ...tx, to: '0x1234' } })).status, 400, 'short address');
    assert.equal((await post({ keyId, transaction: { ...tx, type: 'eip4844' } })).status, 400, 'unsupported type');
    assert.equal((await post({ keyId, transaction: tx }, { 'Idempotency-Key': 'bad-2' }, 'not-a-token-at-all')).status, 401);
    assert.equal((await post({ keyId, transaction: tx }, { 'Idempotency-Key': 'bad-3' }, dev.tokens.auditor)).status, 403, 'wrong scope');
    assert.equal((await dev.request('GET', '/v1/nowhere', dev.tokens.auditor)).status, 404);
  });

  test('invariant 8: none of the bad input above changed the device state', async () => {
    // Refusals of well-framed commands are audited (docs/auditors.md "Refusals in the audit log"); nothing else is.
    const added = (await dev.client.call('audit.list', { fromSeq: headBefore + 1, limit: 1000 })).entries as CborMap[];
    assert.equal(headBefore + added.length, await auditHead());
    const kinds = new Set(added.map((e) => String(entryPayload(e.entry as Uint8Array).kind)));
    assert.deepEqual(
      [...kinds].filter((k) => k !== 'refusal' && k !== 'refusal.repeated'),
      [],
      'no audit entry other than refusals was appended',
    );
    const req = await dev.request('GET', '/v1/requests/bad-1', dev.tokens.orchestrator);
    assert.equal(req.status, 404, 'no request was recorded');
    assert.equal(dev.appliance.child.exitCode, null);
  });
});
