// The load generator's HTTP client (bench/http-connection.ts, undici's Client) against node:http's
// server: the request arrives as sent (method, path, headers, body), answers are read on one
// kept-alive connection, a closed connection is opened again, and a chunked answer is read whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpConnection } from '../../bench/http-connection.js';

async function withServer(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void, run: (conn: HttpConnection, sockets: () => number) => Promise<void>) {
  let sockets = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  server.on('connection', () => sockets++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const conn = new HttpConnection('127.0.0.1', (server.address() as AddressInfo).port);
  try {
    await run(conn, () => sockets);
  } finally {
    conn.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

test('requests arrive as sent and their answers are read on one kept-alive connection', async () => {
  await withServer(
    (req, body, res) => {
      const answer = JSON.stringify({ method: req.method, url: req.url, auth: req.headers.authorization, key: req.headers['idempotency-key'], body });
      res.writeHead(req.url === '/created' ? 201 : 200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(answer) });
      res.end(answer);
    },
    async (conn, sockets) => {
      for (let i = 0; i < 3; i++) {
        const body = JSON.stringify({ n: i, text: 'é' });
        const a = await conn.request('POST', i === 2 ? '/created' : `/v1/x/${i}`, { Authorization: 'Bearer t0k3n', 'Idempotency-Key': `k-${i}` }, body);
        assert.equal(a.status, i === 2 ? 201 : 200);
        assert.deepEqual(JSON.parse(a.body.toString('utf8')), { method: 'POST', url: i === 2 ? '/created' : `/v1/x/${i}`, auth: 'Bearer t0k3n', key: `k-${i}`, body });
      }
      assert.equal(sockets(), 1);
    },
  );
});

test('an answer that closes the connection is read, and the next request opens another', async () => {
  await withServer(
    (_req, _body, res) => {
      res.writeHead(413, { 'Content-Length': 2, Connection: 'close' });
      res.end('{}');
    },
    async (conn, sockets) => {
      assert.equal((await conn.request('POST', '/a', {}, 'x')).status, 413);
      assert.equal((await conn.request('POST', '/b', {}, 'y')).status, 413);
      assert.equal(sockets(), 2);
    },
  );
});

test('a chunked answer (no Content-Length) is read whole', async () => {
  await withServer(
    (_req, _body, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('a');
      res.end('b');
    },
    async (conn) => {
      const a = await conn.request('POST', '/', {}, '');
      assert.deepEqual([a.status, a.body.toString('utf8')], [200, 'ab']);
    },
  );
});
