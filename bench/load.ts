// The load generator: a separate process that drives the appliance socket or the HTTP bridge at a
// fixed concurrency with a fixed number of signing requests, and prints one JSON result line.
// Usage: node dist/bench/load.js '<json config>'
import { createPrivateKey, ECDH, sign, type KeyObject } from 'node:crypto';
import { ApplianceClient } from '../host-bridge/appliance-client.js';
import { encodeApprovalStatement } from '../firmware-policy/approvals/statement.js';
import { readApproverKey, type ApproverKeyFile } from '../cli/approver-key.js';
import { summarize } from './stats.js';
import { HttpConnection, type HttpAnswer } from './http-connection.js';

export interface LoadConfig {
  mode: 'socket' | 'http' | 'http-approvals';
  concurrency: number;
  requests: number;
  /** First nonce; each request uses the next one, so every intent is distinct. */
  nonceBase: number;
  keyId: string;
  to: string;
  value: string;
  socket?: string;
  url?: string;
  token?: string;
  approverToken?: string;
  approverKeys?: string[];
  deviceId?: string;
  tag: string;
}

const hexToBytes = (h: string) => new Uint8Array(Buffer.from(h.slice(2), 'hex'));
const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');

/**
 * The approvers' statement signer on OpenSSL: the same signatures as cli/approver-key.ts signStatement
 * (ES256 in DER, Ed25519) at a fraction of the load generator's CPU, which shares the machine's cores
 * with the appliance and the bridge it measures.
 */
export function nativeSigner(k: ApproverKeyFile): (statement: Uint8Array) => Uint8Array {
  const d = Buffer.from(k.privateKey, 'hex');
  const pub = hexToBytes(k.publicKey);
  let key: KeyObject;
  if (k.alg === 'ES256') {
    const point = ECDH.convertKey(Buffer.from(pub), 'prime256v1', undefined, undefined, 'uncompressed') as Buffer;
    key = createPrivateKey({ key: { kty: 'EC', crv: 'P-256', d: b64url(d), x: b64url(point.subarray(1, 33)), y: b64url(point.subarray(33)) }, format: 'jwk' });
    return (m) => new Uint8Array(sign('sha256', m, { key, dsaEncoding: 'der' }));
  }
  key = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64url(d), x: b64url(pub) }, format: 'jwk' });
  return (m) => new Uint8Array(sign(null, m, key));
}

function txJson(cfg: LoadConfig, nonce: number) {
  return { type: 'eip1559', chainId: 31337, nonce, to: cfg.to, value: cfg.value, gasLimit: 21000, maxFeePerGas: '2000000000', maxPriorityFeePerGas: '1000000000' };
}

/** A POST with the bearer token and a JSON body on the worker's connection; the answer's status and (unparsed) body. */
function post(conn: HttpConnection, path: string, token: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return conn.request('POST', path, { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers }, JSON.stringify(body));
}

export async function runLoad(cfg: LoadConfig) {
  const latencies: number[] = [];
  let failed = 0;
  let next = 0;
  const client = cfg.socket ? new ApplianceClient(cfg.socket) : undefined;
  const target = cfg.url ? new URL(cfg.url) : undefined;
  const connections: HttpConnection[] = [];
  const keys = (cfg.approverKeys ?? []).map(readApproverKey).map((k) => ({ id: k.id, sign: nativeSigner(k) }));

  async function one(i: number, conn: HttpConnection | undefined): Promise<boolean> {
    const nonce = cfg.nonceBase + i;
    const requestId = `${cfg.tag}-${i}`;
    if (cfg.mode === 'socket') {
      const tx = {
        type: 'eip1559',
        chainId: 31337n,
        nonce: BigInt(nonce),
        to: hexToBytes(cfg.to),
        value: BigInt(cfg.value),
        gasLimit: 21000n,
        maxFeePerGas: 2000000000n,
        maxPriorityFeePerGas: 1000000000n,
      };
      const r = await client!.call('sign.evm-tx', { requestId, requester: 'bench', keyId: cfg.keyId, tx });
      return r.status === 'signed';
    }
    const r = await post(conn!, '/v1/sign/evm-transaction', cfg.token!, { keyId: cfg.keyId, transaction: txJson(cfg, nonce) }, { 'Idempotency-Key': requestId });
    if (cfg.mode === 'http') return r.status === 200;
    if (r.status !== 202) return false;
    const digest = hexToBytes(String((JSON.parse(r.body.toString('utf8')) as Record<string, unknown>).intentDigest));
    let last = r;
    for (const k of keys) {
      const expiresAt = Math.floor(Date.now() / 1000) + 600;
      const sig = k.sign(encodeApprovalStatement({ deviceId: cfg.deviceId!, intentDigest: digest, approverId: k.id, expiresAt }));
      last = await post(conn!, `/v1/requests/${requestId}/approvals`, cfg.approverToken!, { approverId: k.id, expiresAt, signature: '0x' + Buffer.from(sig).toString('hex') });
    }
    return last.status === 200;
  }

  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  await Promise.all(
    Array.from({ length: cfg.concurrency }, async () => {
      const conn = target ? new HttpConnection(target.hostname, Number(target.port || 80)) : undefined;
      if (conn) connections.push(conn);
      for (;;) {
        const i = next++;
        if (i >= cfg.requests) return;
        const t0 = performance.now();
        let ok: boolean;
        try {
          ok = await one(i, conn);
        } catch {
          ok = false;
        }
        if (ok) latencies.push(performance.now() - t0);
        else failed++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  client?.close();
  for (const c of connections) c.close();
  const result = summarize(cfg.mode, cfg.concurrency, latencies, failed, seconds);
  result.load_cpu_us = Math.round(((cpu.user + cpu.system) / Math.max(1, latencies.length)) * 10) / 10;
  return result;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').slice(-2).join('/'))) {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as LoadConfig;
  runLoad(cfg).then(
    (r) => process.stdout.write(JSON.stringify(r) + '\n'),
    (err: unknown) => {
      process.stderr.write(`load failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
