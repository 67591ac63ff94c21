// Issue 11, item 7: sizes never give a 500 or a crash. Through the real bridge (served over HTTP by
// @hono/node-server, as `hsmctl bridge start` serves it), the real appliance process and its SoftHSM2
// token: over-long bodies are refused with 413 body_too_large before the rest is read (the server's
// own socket counts what it consumed), megabytes of hex are a typed refusal, a policy whose diff
// lists 120 000 changes is answered within the frame (it used to take the appliance down), and
// audit pages whose entries embed large policy documents fit the frame and say where to continue.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { startTestDevice, testPolicyJson, CHAIN_ID, type TestDevice } from '../helpers/test-device.js';
import { DEFAULT_BODY_LIMIT } from '../../host-bridge/body-limit.js';
import { AUDIT_PAGE_MAX_BYTES, MAX_CALLDATA_BYTES, MAX_LISTED_CHANGES } from '../../protocol/limits.js';
import { problemFields } from '../helpers/problem.js';

const MiB = 1 << 20;
const SIGN_LIMIT = 512 * 1024;

let dev: TestDevice;
let server: ServerType;
let port = 0;
/** Every server-side socket the HTTP server accepted, to read how many bytes it consumed. */
const serverSockets: Socket[] = [];

interface RawReply {
  status: number;
  body: string;
  /** Bytes this client handed to the kernel before the server answered or closed. */
  written: number;
  /** Bytes the server's socket read from the connection, once it closed. */
  serverRead: number;
}

/**
 * One POST over a raw TCP connection: headers, then `total` body bytes made by `piece`, written with
 * backpressure and stopped as soon as any answer arrives or the connection closes.
 */
function rawPost(path: string, headers: Record<string, string>, total: number, piece: (offset: number, max: number) => Buffer): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const before = serverSockets.length;
    const sock = connect(port, '127.0.0.1');
    let reply = Buffer.alloc(0);
    let written = 0;
    let ended = false;
    const timer = setTimeout(() => sock.destroy(), 30_000);
    const finish = async () => {
      if (ended) return;
      ended = true;
      clearTimeout(timer);
      sock.destroy();
      const s = serverSockets[before];
      if (s && !s.destroyed) await new Promise((r) => s.once('close', r));
      const text = reply.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(text);
      const cut = text.indexOf('\r\n\r\n');
      let body = cut >= 0 ? text.slice(cut + 4) : '';
      if (/transfer-encoding: chunked/i.test(text.slice(0, cut)))
        body = body
          .replace(/^[0-9a-f]+\r\n/i, '')
          .replace(/\r\n0\r\n\r\n$/, '')
          .replace(/\r\n$/, '');
      resolve({ status: m ? Number(m[1]) : 0, body, written, serverRead: s?.bytesRead ?? -1 });
    };
    sock.on('data', (d) => {
      reply = Buffer.concat([reply, d]);
    });
    sock.on('close', () => void finish());
    sock.on('error', () => undefined); // EPIPE / ECONNRESET once the server closes: expected
    sock.on('connect', async () => {
      try {
        const head = [`POST ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
        sock.write(head);
        while (written < total && reply.length === 0 && !sock.destroyed) {
          const chunk = piece(written, Math.min(64 * 1024, total - written));
          written += chunk.length;
          if (!sock.write(chunk)) {
            await new Promise<void>((r) => {
              const done = () => {
                sock.off('drain', done);
                sock.off('close', done);
                sock.off('data', done);
                r();
              };
              sock.once('drain', done);
              sock.once('close', done);
              sock.once('data', done);
            });
          }
        }
        if (!sock.destroyed) sock.end();
      } catch (err) {
        reject(err);
      }
    });
  });
}

/** A sign request whose `transaction.data` holds `hexDigits` digits, produced piece by piece. */
function signBody(hexDigits: number): { total: number; piece: (offset: number, max: number) => Buffer } {
  const prefix = Buffer.from(
    `{"keyId":"${String(dev.keys[0]!.keyId)}","transaction":{"type":"eip1559","chainId":${CHAIN_ID},"nonce":0,"to":"0x${'11'.repeat(20)}","value":"0","gasLimit":21000,"maxFeePerGas":"1","maxPriorityFeePerGas":"1","data":"0x`,
  );
  const suffix = Buffer.from('"}}');
  const total = prefix.length + hexDigits + suffix.length;
  const whole = (i: number) => (i < prefix.length ? prefix[i]! : i < prefix.length + hexDigits ? 0x61 + (i % 2) : suffix[i - prefix.length - hexDigits]!);
  return {
    total,
    piece: (offset, max) => {
      const b = Buffer.alloc(max);
      for (let k = 0; k < max; k++) b[k] = whole(offset + k);
      return b;
    },
  };
}

const chunked = (inner: (offset: number, max: number) => Buffer) => (offset: number, max: number) => {
  const data = inner(offset, Math.max(1, max - 16));
  return Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
};

async function auditHead(): Promise<number> {
  return Number((await dev.client.call('health')).auditHeadSeq);
}

const errorOf = (text: string): { code?: string; details?: Record<string, unknown> } => {
  try {
    return problemFields(JSON.parse(text)) ?? {};
  } catch {
    return {};
  }
};

describe('issue 11 item 7: sizes never give a 500 or a crash', () => {
  before(async () => {
    dev = await startTestDevice();
    await new Promise<void>((resolve) => {
      server = serve({ fetch: dev.app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
        port = info.port;
        resolve();
      });
    });
    server.on('connection', (s: Socket) => serverSockets.push(s));
  });
  after(async () => {
    await new Promise<void>((r) => server?.close(() => r()));
    await dev?.stop();
  });

  test('a 40 MiB body with Content-Length is answered 413 body_too_large, unread', async () => {
    const head = await auditHead();
    const { total, piece } = signBody(40 * MiB);
    const r = await rawPost(
      '/v1/sign/evm-transaction',
      { Authorization: `Bearer ${dev.tokens.orchestrator}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'big-1', 'Content-Length': String(total) },
      total,
      piece,
    );
    assert.equal(r.status, 413, r.body.slice(0, 200));
    assert.equal(errorOf(r.body).code, 'body_too_large');
    assert.equal(errorOf(r.body).details?.limit, SIGN_LIMIT);
    // The server refused on the declared length: it consumed the headers and at most what was already
    // in flight, never the 40 MiB (before the cap it read and parsed all of it, then answered 500).
    assert.ok(r.serverRead >= 0 && r.serverRead < MiB, `server consumed ${r.serverRead} bytes`);
    assert.ok(r.written < total, `the client could write all ${total} bytes`);
    assert.equal(await auditHead(), head, 'nothing reached the appliance');
  });

  test('a 40 MiB chunked body (no Content-Length) is refused once it passes the cap, the rest unread', async () => {
    const { total, piece } = signBody(40 * MiB);
    const r = await rawPost(
      '/v1/sign/evm-transaction',
      { Authorization: `Bearer ${dev.tokens.orchestrator}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'big-2', 'Transfer-Encoding': 'chunked' },
      total,
      chunked(piece),
    );
    assert.equal(r.status, 413, r.body.slice(0, 200));
    assert.equal(errorOf(r.body).code, 'body_too_large');
    assert.ok(r.serverRead >= SIGN_LIMIT && r.serverRead < 4 * MiB, `server consumed ${r.serverRead} bytes`);
  });

  test('an unauthenticated 40 MiB body is refused just the same, before the token is even looked at', async () => {
    const { total, piece } = signBody(40 * MiB);
    const r = await rawPost('/v1/sign/evm-transaction', { 'Content-Type': 'application/json', 'Content-Length': String(total) }, total, piece);
    assert.equal(r.status, 413);
    assert.ok(r.serverRead < MiB, `server consumed ${r.serverRead} bytes`);
  });

  test('a 4 MiB hex data string is a typed refusal (413 over HTTP and through app.request), not 500', async () => {
    const head = await auditHead();
    const { total, piece } = signBody(4 * MiB);
    const r = await rawPost(
      '/v1/sign/evm-transaction',
      { Authorization: `Bearer ${dev.tokens.orchestrator}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'big-3', 'Content-Length': String(total) },
      total,
      piece,
    );
    assert.equal(r.status, 413);
    assert.equal(errorOf(r.body).code, 'body_too_large');
    const tx = { type: 'eip1559', chainId: CHAIN_ID, nonce: 0, to: '0x' + '11'.repeat(20), value: '0', gasLimit: 21000, maxFeePerGas: '1', maxPriorityFeePerGas: '1' };
    const viaApp = await dev.request(
      'POST',
      '/v1/sign/evm-transaction',
      dev.tokens.orchestrator,
      { keyId: dev.keys[0]!.keyId, transaction: { ...tx, data: '0x' + 'ab'.repeat(2 * MiB) } },
      { 'Idempotency-Key': 'big-4' },
    );
    assert.equal(viaApp.status, 413);
    assert.equal((problemFields(viaApp.json) as { code: string }).code, 'body_too_large');
    // Under the body cap but over the calldata cap: 400 naming the field.
    const over = await dev.request(
      'POST',
      '/v1/sign/evm-transaction',
      dev.tokens.orchestrator,
      { keyId: dev.keys[0]!.keyId, transaction: { ...tx, data: '0x' + '00'.repeat(MAX_CALLDATA_BYTES + 1) } },
      { 'Idempotency-Key': 'big-5' },
    );
    assert.equal(over.status, 400);
    assert.deepEqual(problemFields(over.json), {
      code: 'bad_request',
      message: `"transaction.data" expected 0x-prefixed hex bytes (at most ${MAX_CALLDATA_BYTES})`,
      details: { field: 'transaction.data' },
    });
    // Typed data under the default cap: a 4 MiB hex `bytes` value is refused the same way.
    const typed = await dev.request(
      'POST',
      '/v1/sign/typed-data',
      dev.tokens.orchestrator,
      { keyId: dev.keys[0]!.keyId, typedData: { types: { M: [{ name: 'b', type: 'bytes' }] }, primaryType: 'M', domain: {}, message: { b: '0x' + 'ab'.repeat(2 * MiB) } } },
      { 'Idempotency-Key': 'big-6' },
    );
    assert.equal(typed.status, 413);
    assert.equal((problemFields(typed.json) as { details: { limit: number } }).details.limit, DEFAULT_BODY_LIMIT);
    assert.equal(await auditHead(), head, 'nothing reached the appliance');
  });

  test('a policy whose diff lists 30 000 changes is answered within the frame, and the appliance answers the next command', async () => {
    // One allowed contract with 30 000 selectors: a ~150 KB document whose diff against the active
    // policy has one change per selector, ~6.3 MB of them. The proposal's answer used to exceed the
    // 4 MiB response frame: `send` threw in a promise chain with no handler, and Node ended the
    // appliance process on the unhandled rejection.
    const r = await dev.request('POST', '/v1/policy/proposals', dev.tokens.admin, { policy: bigPolicy(0) });
    assert.equal(r.status, 201, JSON.stringify(r.json).slice(0, 300));
    assert.equal((r.json.changes as unknown[]).length, MAX_LISTED_CHANGES);
    assert.equal(r.json.changeCount, SELECTORS);
    const again = await dev.request('GET', `/v1/policy/proposals/${String(r.json.proposalId)}`, dev.tokens.auditor);
    assert.equal(again.status, 200);
    assert.equal(again.json.changeCount, SELECTORS);
    assert.equal(dev.appliance.child.exitCode, null, 'the appliance process is still running');
    assert.equal((await dev.client.call('health')).ready, true);
  });

  test('the key list is a page (at most 1000 keys, about 1 KB each) that says where the next one starts', async () => {
    const made = await dev.request('POST', '/v1/keys', dev.tokens.admin, { label: 'hot-2', group: 'hot' });
    assert.equal(made.status, 201, JSON.stringify(made.json));
    const first = await dev.request('GET', '/v1/keys?limit=1', dev.tokens.orchestrator);
    assert.equal((first.json.keys as unknown[]).length, 1);
    assert.equal(first.json.nextOffset, 1);
    const second = await dev.request('GET', '/v1/keys?limit=1&offset=1', dev.tokens.orchestrator);
    assert.equal((second.json.keys as { label: string }[])[0]!.label, 'hot-2');
    assert.equal(second.json.nextOffset, null);
    const all = await dev.request('GET', '/v1/keys', dev.tokens.orchestrator);
    assert.equal((all.json.keys as unknown[]).length, 2);
    assert.equal(all.json.nextOffset, null);
    const tooMany = await dev.request('GET', '/v1/keys?limit=1001', dev.tokens.orchestrator);
    assert.equal(tooMany.status, 400);
  });

  test('audit pages whose entries embed large policy documents fit the frame and say where to continue', async () => {
    const from = 1;
    // Seven more ~150 KB proposals: with the one above, 1.2 MB of entries, more than one page holds.
    const ids: string[] = [];
    for (let k = 1; k <= 7; k++) {
      const r = await dev.request('POST', '/v1/policy/proposals', dev.tokens.admin, { policy: bigPolicy(k) });
      assert.equal(r.status, 201);
      ids.push(String(r.json.proposalId));
    }
    const headSeq = await auditHead();
    const seen: number[] = [];
    const pageSizes: number[] = [];
    for (let next: number | null = from; next !== null;) {
      const page = await dev.request('GET', `/v1/audit?fromSeq=${next}&limit=1000`, dev.tokens.auditor);
      assert.equal(page.status, 200, JSON.stringify(page.json).slice(0, 300));
      const entries = page.json.entries as { seq: number; entry: string; payload: { kind: string; proposalId?: string; proposedDocument?: string } }[];
      assert.ok(entries.length >= 1);
      const bytes = entries.reduce((n, e) => n + (e.entry.length - 2) / 2, 0);
      // Within the page budget, or a single entry (a page always moves on).
      assert.ok(bytes <= AUDIT_PAGE_MAX_BYTES || entries.length === 1, `page of ${entries.length} entries, ${bytes} bytes`);
      pageSizes.push(entries.length);
      for (const e of entries) {
        seen.push(e.seq);
        if (e.payload.kind === 'policy.propose') assert.ok((e.payload.proposedDocument ?? '').length > 2 * 150_000, 'the entry embeds the document');
      }
      next = page.json.nextSeq as number | null;
      if (next !== null) assert.equal(next, entries[entries.length - 1]!.seq + 1);
    }
    assert.deepEqual(
      seen,
      Array.from({ length: headSeq - from + 1 }, (_, i) => from + i),
      'every entry once, in order',
    );
    assert.ok(pageSizes.length >= 2, `pages: ${pageSizes.join(', ')}`);
    // The export streams them all too.
    const res = await dev.app.request(`/v1/audit/export?fromSeq=${from}&format=jsonl`, { headers: { Authorization: `Bearer ${dev.tokens.auditor}` } });
    assert.equal(res.status, 200);
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { seq: number; payload: { proposalId?: string } });
    assert.deepEqual(
      lines.map((l) => l.seq),
      seen,
    );
    assert.equal(lines.filter((l) => ids.includes(String(l.payload.proposalId))).length, ids.length);
    assert.equal(dev.appliance.child.exitCode, null);
  });
});

const SELECTORS = 30_000;

/** The test policy plus one contract with SELECTORS selectors (shifted by k, so each document differs). */
function bigPolicy(k: number) {
  const p = testPolicyJson(dev.people);
  const selectors = Array.from({ length: SELECTORS }, (_, i) => '0x' + (k * SELECTORS + i).toString(16).padStart(8, '0'));
  return { ...p, groups: { ...p.groups, hot: { ...p.groups.hot!, contracts: [{ chainId: CHAIN_ID, address: '0x' + '22'.repeat(20), selectors }] } } };
}
