// `make fuzz`: hostile input at both doors of the real appliance (DESIGN.md invariant 8).
// - the socket: random and mutated frames, non-canonical CBOR, wrong types, huge integers, deep
//   nesting, truncated and oversized frames, approvals with invalid signatures;
// - the bridge: malformed bodies and queries on every route, with tokens of every scope (JSON-RPC
//   requests and batches with hostile params at POST /v1/rpc, whose answers must be JSON-RPC responses).
// It checks 0 crashes, 0 hangs (every answer within a bound), every answer typed, and state unchanged:
// the audit head moves only by refusal entries (docs/auditors.md "Refusals in the audit log"), and the state
// tables hash the same. Every refusal of a well-framed command is audited, and the log stays bounded:
// identical refusals are counted, so the entries added per audited refusal stay well under 1.
// FUZZ_FRAMES / FUZZ_BODIES set the counts (defaults 200k / 50k).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { encodeCanonical, decodeCanonical, type CborMap, type CborValue } from '../protocol/cbor.js';
import { encodeFrame, FrameReader } from '../protocol/frame.js';
import { isErrorCode } from '../protocol/errors.js';
import { createDevice } from '../cli/device-create.js';
import { startAppliance } from '../cli/appliance-process.js';
import { policyFromJson, type PolicyJson } from '../host-bridge/policy-json.js';
import { generateApproverKey, publicPart } from '../cli/approver-key.js';
import { entryPayload } from '../cli/audit-tools.js';
import { devicePaths } from '../softhsm-config/device-layout.js';
import { ApplianceClient } from '../host-bridge/appliance-client.js';
import { createApp } from '../host-bridge/app.js';
import { addToken, readTokens, TokenVerifier } from '../host-bridge/auth.js';

const FRAMES = Number(process.env.FUZZ_FRAMES ?? 200_000);
const BODIES = Number(process.env.FUZZ_BODIES ?? 50_000);
const ANSWER_BOUND_MS = 5_000;
/** Audit entries added per audited refusal at most, once there are enough refusals for counting to show. */
const MAX_ENTRIES_PER_REFUSAL = 0.1;
const BOUND_APPLIES_FROM = 1_000;
const say = (m: string) => process.stderr.write(`fuzz: ${m}\n`);

// A small deterministic PRNG, so a failing run can be repeated (FUZZ_SEED).
let seed = Number(process.env.FUZZ_SEED ?? 1);
const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));

function hostileValue(depth = 0): CborValue {
  switch (Math.floor(rnd() * 10)) {
    case 0:
      return BigInt(2) ** BigInt(64 + Math.floor(rnd() * 400));
    case 1:
      return -Math.floor(rnd() * 1e9);
    case 2:
      return bytes(Math.floor(rnd() * 40));
    case 3:
      return 'x'.repeat(Math.floor(rnd() * 300));
    case 4:
      return depth < 6 ? [hostileValue(depth + 1), hostileValue(depth + 1)] : null;
    case 5:
      return depth < 6 ? { a: hostileValue(depth + 1), nonce: hostileValue(depth + 1) } : true;
    case 6:
      return null;
    case 7:
      return Math.floor(rnd() * 2 ** 53);
    default:
      return pick(['', 'eip1559', 'legacy', 'sign.evm-tx', '0x', 'k-00']);
  }
}

function deepNest(depth: number): Uint8Array {
  return Uint8Array.from([...new Array(depth).fill(0x81), 0x00]); // [[[…0…]]]
}

async function main(): Promise<void> {
  const varRoot = mkdtempSync(join(tmpdir(), 'fuzz-'));
  const admins = [generateApproverKey('admin-1', 'ES256'), generateApproverKey('admin-2', 'EdDSA')];
  const approvers = [generateApproverKey('alice', 'ES256'), generateApproverKey('bob', 'EdDSA')];
  const policy: PolicyJson = {
    adminQuorum: 2,
    admins: admins.map(publicPart),
    approvers: approvers.map(publicPart),
    requesters: [{ id: 'fuzz' }],
    auditors: [{ id: 'fuzz-auditor' }],
    groups: { hot: { chains: [31337], whitelistRequired: false, holdSeconds: 0, assets: { '31337:native': { perTxMax: '1000', windows: [], approvalTiers: [{ above: '10', required: 2 }] } } } },
  };
  const created = await createDevice({ varRoot, name: 'fuzz', policy: (id) => policyFromJson(policy, id), keys: [{ label: 'fuzz-1', group: 'hot' }], adminSigners: admins });
  const keyId = String(created.keys[0]?.keyId);
  const paths = devicePaths(varRoot, 'fuzz');
  const app = await startAppliance(varRoot, 'fuzz', { stderr: 'ignore', env: { ...process.env, HSM_LOG_LEVEL: 'error' } });
  const client = new ApplianceClient(paths.socket);
  // One pending request, so that approvals with invalid signatures reach the policy (and are logged).
  const pending = await client.call('sign.evm-tx', {
    requestId: 'fuzz-pending',
    requester: 'fuzz',
    keyId,
    tx: { type: 'eip1559', chainId: 31337n, nonce: 0n, to: new Uint8Array(20).fill(1), value: 100n, gasLimit: 21000n, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n },
  });
  if (pending.status !== 'pending_approval') throw new Error('setup: expected a pending request');

  const stateHash = () => {
    const db = new Database(paths.stateDb, { readonly: true });
    const h = createHash('sha256');
    for (const t of ['keys', 'policies', 'whitelist', 'whitelist_proposals', 'requests', 'spend', 'nonce_guard', 'allowances', 'policy_proposals', 'meta']) {
      for (const row of db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()) h.update(JSON.stringify(row, (_k, v) => (Buffer.isBuffer(v) ? v.toString('hex') : v)));
    }
    db.close();
    return h.digest('hex');
  };
  const headBefore = Number((await client.call('health')).auditHeadSeq);
  const hashBefore = stateHash();

  // ---- the socket
  const bases: CborMap[] = [
    {
      cmd: 'sign.evm-tx',
      args: {
        requestId: 'fz',
        requester: 'fuzz',
        keyId: 'k-unknown',
        tx: { type: 'eip1559', chainId: 31337n, nonce: 1n, to: new Uint8Array(20), value: 1n, gasLimit: 21000n, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n },
      },
    },
    { cmd: 'request.approve', args: { requestId: 'fuzz-pending', approverId: 'alice', expiresAt: 4_000_000_000, signature: new Uint8Array(70) } },
    { cmd: 'key.get', args: { keyId: 'k-unknown' } },
    { cmd: 'request.get', args: { requestId: 'nope' } },
    { cmd: 'audit.list', args: { fromSeq: 1, limit: 2 } },
    { cmd: 'health', args: {} },
  ];
  const stats = { frames: 0, typedErrors: 0, audited: 0, ok: 0, untyped: 0, hangs: 0, closedConnections: 0 };
  const makeFrame = (id: number): Uint8Array => {
    const base: CborMap = { id, ...pick(bases) };
    switch (Math.floor(rnd() * 9)) {
      case 0:
        return bytes(Math.floor(rnd() * 200));
      case 1: {
        const b = encodeCanonical(base);
        const m = Uint8Array.from(b);
        for (let k = 0; k < 1 + Math.floor(rnd() * 4); k++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
        return m;
      }
      case 2:
        return encodeCanonical(base).subarray(0, Math.floor(rnd() * 40));
      case 3: // non-canonical: a non-shortest head for the id
        return Uint8Array.from([0xa3, 0x62, 0x69, 0x64, 0x19, 0x00, 0x05, ...encodeCanonical({ cmd: 'health', args: {} }).subarray(1)]);
      case 4:
        return encodeCanonical({ ...base, args: { ...(base.args as CborMap), [pick(['tx', 'keyId', 'requestId', 'signature', 'expiresAt', 'limit'])]: hostileValue() } });
      case 5:
        return deepNest(50 + Math.floor(rnd() * 2000));
      case 6:
        return encodeCanonical({ id, cmd: pick(['sign.evm-tx', 'key.export', 'x'.repeat(70), 'policy.init']), args: { a: hostileValue() } });
      case 7:
        return encodeCanonical({
          id,
          cmd: 'request.approve',
          args: { requestId: 'fuzz-pending', approverId: pick(['alice', 'bob', 'mallory']), expiresAt: 4_000_000_000, signature: bytes(8 + Math.floor(rnd() * 80)) },
        });
      default:
        return encodeCanonical({ ...base, extra: hostileValue() });
    }
  };
  say(`socket: ${FRAMES} frames`);
  const BATCH = 200;
  for (let sent = 0; sent < FRAMES; sent += BATCH) {
    const n = Math.min(BATCH, FRAMES - sent);
    await new Promise<void>((resolve) => {
      const sock = connect(paths.socket);
      const reader = new FrameReader(1 << 22);
      let answers = 0;
      const timer = setTimeout(() => {
        stats.hangs += n - answers;
        sock.destroy();
        resolve();
      }, ANSWER_BOUND_MS);
      sock.on('data', (d) => {
        for (const f of reader.push(d)) {
          answers++;
          const m = decodeCanonical(f) as CborMap;
          if (m.ok === true) stats.ok++;
          else if (isErrorCode((m.error as CborMap | undefined)?.code)) {
            stats.typedErrors++;
            if (typeof ((m.error as CborMap).details as CborMap | undefined)?.auditSeq === 'number') stats.audited++;
          } else stats.untyped++;
        }
        if (answers >= n) {
          clearTimeout(timer);
          sock.destroy();
          resolve();
        }
      });
      sock.on('close', () => {
        // A malformed frame stream (e.g. a header announcing more than the limit) closes the
        // connection after its answer; the rest of this batch is counted as refused.
        clearTimeout(timer);
        if (answers < n) stats.closedConnections++;
        resolve();
      });
      sock.on('error', () => undefined);
      const parts: Buffer[] = [];
      for (let i = 0; i < n; i++) {
        const payload = makeFrame(sent + i + 1);
        if (rnd() < 0.002) {
          const h = Buffer.alloc(4);
          h.writeUInt32BE(0x7fffffff);
          parts.push(h); // oversized: refused without reading, connection closed
        } else parts.push(encodeFrame(payload, 1 << 22));
      }
      sock.write(Buffer.concat(parts));
    });
    stats.frames += n;
    if (stats.frames % 20_000 === 0) say(`${stats.frames} frames`);
  }
  const alive = app.child.exitCode === null && app.child.signalCode === null;

  // ---- the bridge
  const tokensFile = paths.bridgeTokens;
  const tokens = [
    addToken(tokensFile, 'f-orch', ['orchestrator'], 'fuzz'),
    addToken(tokensFile, 'f-admin', ['admin'], 'admin-1'),
    addToken(tokensFile, 'f-appr', ['approver'], 'alice'),
    addToken(tokensFile, 'f-aud', ['auditor'], 'fuzz-auditor'),
  ];
  const bridge = createApp({ appliance: client, tokens: new TokenVerifier(readTokens(tokensFile)) });
  const routes = bridge.routes.filter((r) => r.method !== 'ALL' && r.path !== '/v1/events');
  const http = { requests: 0, server5xx: 0, untyped: 0, audited: 0 };
  say(`bridge: ${BODIES} requests over ${routes.length} routes`);
  for (let i = 0; i < BODIES; i++) {
    if (i > 0 && i % 10_000 === 0) say(`${i} requests`);
    const r = pick(routes);
    const path = r.path.replace(/:(\w+)/g, () => pick(['x', '1', '0x' + '00'.repeat(20), '%00', 'fuzz-pending', '..', '9'.repeat(40)]));
    const body = pick([
      () => JSON.stringify(hostileJson()),
      () => Buffer.from(bytes(Math.floor(rnd() * 100))).toString('latin1'),
      () => '{"keyId":' + JSON.stringify(hostileJson()) + ',"transaction":' + JSON.stringify(hostileJson()) + '}',
      () => '['.repeat(5000),
      () => JSON.stringify({ approverId: 'alice', expiresAt: hostileJson(), signature: '0x' + 'zz' }),
      () => JSON.stringify(hostileRpc()),
      () => JSON.stringify(Array.from({ length: 1 + Math.floor(rnd() * 40) }, hostileRpc)),
    ])();
    const res = await bridge.request(path + (rnd() < 0.3 ? `?fromSeq=${encodeURIComponent(String(hostileJson()))}&limit=-1` : ''), {
      method: r.method,
      headers: { Authorization: `Bearer ${pick(tokens)}`, 'Content-Type': 'application/json', 'Idempotency-Key': pick(['fz-1', '', 'x'.repeat(200)]) },
      ...(r.method === 'GET' ? {} : { body }),
    });
    http.requests++;
    if (res.status >= 500) http.server5xx++;
    if (res.status < 400 && r.path === '/v1/audit/export') {
      await res.body?.cancel(); // a valid export streams the whole log; the first bytes are enough
      continue;
    }
    const text = await res.text();
    if (r.path === '/v1/rpc') {
      // JSON-RPC: every answer is a JSON-RPC response; a refusal's typed code travels in error.data.code.
      const { verdict, audited } = rpcVerdict(res.status, text);
      if (verdict === 'untyped') http.untyped++;
      if (verdict === 'internal') http.server5xx++;
      http.audited += audited;
      continue;
    }
    if (res.status >= 400) {
      try {
        // A typed refusal is an RFC 9457 problem whose code is an appliance error code (host-bridge/problem.ts).
        const j = JSON.parse(text) as { type?: unknown; status?: unknown; code?: unknown; details?: { auditSeq?: unknown } };
        const problem = res.headers.get('content-type')?.startsWith('application/problem+json') && j.status === res.status && j.type === `/problems/${String(j.code)}`;
        if (!problem || !isErrorCode(j.code)) http.untyped++;
        else if (typeof j.details?.auditSeq === 'number') http.audited++;
      } catch {
        http.untyped++;
      }
    }
  }

  // A clean stop writes the counts of repeated refusals still in memory; then the log is read from
  // the state database itself.
  client.close();
  await app.stop();
  const db = new Database(paths.stateDb, { readonly: true });
  const added = (db.prepare('SELECT entry FROM audit WHERE seq > ? ORDER BY seq').all(headBefore) as { entry: Buffer }[]).map((r) => entryPayload(new Uint8Array(r.entry)));
  db.close();
  const audit = { firsts: 0, counted: 0, repeats: 0, approvalRejections: 0 };
  let otherEntries = 0;
  for (const payload of added) {
    if (payload.kind === 'request.approve' && payload.outcome === 'rejected') {
      audit.approvalRejections++;
      audit.firsts++;
    } else if (payload.kind === 'refusal') audit.firsts++;
    else if (payload.kind === 'refusal.repeated') {
      audit.counted++;
      audit.repeats += Number(payload.repeats);
    } else otherEntries++;
  }
  const stateSame = stateHash() === hashBefore;
  rmSync(varRoot, { recursive: true, force: true });

  // Every answer that named an audit entry is in the log, once as a first entry or in a count (an
  // answer can be lost on a connection the fuzzer's own oversized header closed, never a record).
  const auditedAnswers = stats.audited + http.audited;
  const recorded = audit.firsts + audit.repeats;
  const perRefusal = auditedAnswers === 0 ? 0 : added.length / auditedAnswers;
  const bounded = auditedAnswers < BOUND_APPLIES_FROM || perRefusal <= MAX_ENTRIES_PER_REFUSAL;
  process.stdout.write(
    [
      `socket: frames ${stats.frames}, typed errors ${stats.typedErrors} (audited ${stats.audited}), ok ${stats.ok}, untyped ${stats.untyped}, hangs ${stats.hangs}, connections closed on malformed streams ${stats.closedConnections}`,
      `bridge: requests ${http.requests}, 5xx ${http.server5xx}, untyped errors ${http.untyped}, audited refusals ${http.audited}`,
      `audit: entries added ${added.length} for ${auditedAnswers} audited refusals (${perRefusal.toFixed(4)} per refusal, bound ${MAX_ENTRIES_PER_REFUSAL}${auditedAnswers < BOUND_APPLIES_FROM ? ` from ${BOUND_APPLIES_FROM} refusals` : ''}): ${audit.firsts} first entries (${audit.approvalRejections} approval rejections), ${audit.counted} counted entries of ${audit.repeats} repeats; recorded ${recorded} >= answered ${auditedAnswers}: ${recorded >= auditedAnswers ? 'yes' : 'NO'}; other entries ${otherEntries}; state tables unchanged: ${stateSame ? 'yes' : 'NO'}`,
      `crashes: ${alive ? 0 : 1}, hangs: ${stats.hangs}, untyped answers: ${stats.untyped + http.untyped}, state changes: ${otherEntries + (stateSame ? 0 : 1)}, audit entries per refusal: ${perRefusal.toFixed(4)}${bounded ? '' : ' (OVER THE BOUND)'}`,
    ].join('\n') + '\n',
  );
  if (!alive || stats.hangs > 0 || stats.untyped + http.untyped > 0 || http.server5xx > 0 || otherEntries > 0 || !stateSame || recorded < auditedAnswers || !bounded) process.exitCode = 1;
}

const RPC_METHODS = ['eth_accounts', 'eth_signTransaction', 'eth_sendTransaction', 'eth_signTypedData_v4', 'eth_sign', 'personal_sign', 'eth_chainId', 'eth_nope', ''];

/** A JSON-RPC request with a real or hostile method, id and params. */
function hostileRpc(): unknown {
  const tx = { from: pick(['0x' + '00'.repeat(20), hostileJson()]), to: hostileJson(), gas: hostileJson(), value: hostileJson(), nonce: hostileJson(), type: pick(['0x2', '0x3', hostileJson()]) };
  return {
    jsonrpc: pick(['2.0', '1.0', hostileJson()]),
    ...(rnd() < 0.9 ? { id: pick([1, 'a', null, hostileJson()]) } : {}),
    method: pick(RPC_METHODS),
    params: pick([[tx], [hostileJson(), hostileJson()], hostileJson(), [JSON.stringify(hostileJson())]]),
  };
}

/**
 * How the JSON-RPC endpoint answered: 'ok' (well-formed JSON-RPC responses, or 204), 'internal'
 * (-32603, a bridge fault) or 'untyped'; and how many of its errors name an audit entry.
 */
function rpcVerdict(status: number, text: string): { verdict: 'ok' | 'internal' | 'untyped'; audited: number } {
  const untyped = { verdict: 'untyped' as const, audited: 0 };
  if (status === 204) return text === '' ? { verdict: 'ok', audited: 0 } : untyped;
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return untyped;
  }
  if (status === 413) return isErrorCode((j as { code?: unknown }).code) ? { verdict: 'ok', audited: 0 } : untyped; // the bridge's problem, before JSON-RPC
  const all = Array.isArray(j) ? j : [j];
  let verdict: 'ok' | 'internal' = 'ok';
  let audited = 0;
  if (all.length === 0) return untyped;
  for (const r of all as { jsonrpc?: unknown; error?: { code?: unknown; message?: unknown; data?: { code?: unknown; details?: { auditSeq?: unknown } } } }[]) {
    if (r?.jsonrpc !== '2.0') return untyped;
    if (r.error === undefined) continue;
    if (!Number.isInteger(r.error.code) || typeof r.error.message !== 'string') return untyped;
    if (r.error.code === -32603) verdict = 'internal';
    if (status >= 400 && !isErrorCode(r.error.data?.code)) return untyped;
    if (typeof r.error.data?.details?.auditSeq === 'number') audited++;
  }
  return { verdict, audited };
}

function hostileJson(depth = 0): unknown {
  switch (Math.floor(rnd() * 8)) {
    case 0:
      return 1.5e308;
    case 1:
      return '9'.repeat(Math.floor(rnd() * 120));
    case 2:
      return depth < 5 ? { a: hostileJson(depth + 1), value: hostileJson(depth + 1) } : null;
    case 3:
      return depth < 5 ? [hostileJson(depth + 1)] : -1;
    case 4:
      return '0x' + Buffer.from(bytes(Math.floor(rnd() * 40))).toString('hex');
    case 5:
      return null;
    case 6:
      return rnd() < 0.5;
    default:
      return -Math.floor(rnd() * 1e12);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`fuzz failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
