// The host bridge: an HTTP API for the orchestrator, approvers, admins and auditors. It checks
// bearer tokens and scopes, converts JSON to the appliance's canonical CBOR commands and back, and
// maps results to HTTP statuses. It holds no key, no PIN, and makes no policy decision.
import { randomUUID } from 'node:crypto';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Hono, type Context } from 'hono';
import { decodeCanonical, type CborMap } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';
import type { Command } from '../protocol/messages.js';
import type { Principal, Scope, TokenVerifier } from './auth.js';
import { ERROR_STATUS, resultStatus } from './http-status.js';
import { cborToJson, jsonAddress, jsonHex, jsonObject, jsonOptUint, jsonString, jsonToCbor, jsonUint, txFieldsFromJson } from './json-cbor.js';
import { bodyCaps } from './body-limit.js';
import { DEFAULT_MAX_FRAME } from '../protocol/frame.js';
import { Metrics } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { AuditEventFeed, sseResponse } from './events.js';
import { decodeCoseSign1 } from '../attestation/cose-sign1.js';
import { encodePolicy } from '../firmware-policy/policy-document.js';
import { policyFromJson, type PolicyJson } from '../cli/policy-json.js';
import { asMap } from '../protocol/args.js';
import { PrincipalDirectory, SCOPE_ROLE } from './principal-directory.js';

export interface ApplianceCaller {
  call(cmd: Command, args?: CborMap, traceId?: string): Promise<CborMap>;
}

export interface BridgeOptions {
  appliance: ApplianceCaller;
  tokens: TokenVerifier;
  /** The event feed behind GET /v1/events; made on first use when not given. */
  events?: AuditEventFeed;
  /** The active policy's principals (a token bound to an unknown one is refused); made from `appliance` when not given. */
  principals?: PrincipalDirectory;
}

type Env = { Variables: { principal: Principal; traceId: string } };

const TRACE_RE = /^[A-Za-z0-9._:-]{1,128}$/;

const IDEMPOTENCY_KEY_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Adds the decoded payload of an audit entry's COSE_Sign1, for reading (not for verifying). */
function withPayload(e: CborMap): CborMap {
  if (!(e.entry instanceof Uint8Array)) return e;
  try {
    const payload = decodeCoseSign1(e.entry).payload;
    return payload ? { ...e, payload: decodeCanonical(payload) } : e;
  } catch {
    return e;
  }
}

export function createApp(opts: BridgeOptions): Hono<Env> {
  const app = new Hono<Env>();
  const metrics = new Metrics();
  // Each HTTP request gets a trace id (the caller's X-Request-Id when well-formed), carried into the
  // appliance's audit entries and echoed back.
  const traces = new AsyncLocalStorage<string>();
  const call = (cmd: Command, args: CborMap = {}) => opts.appliance.call(cmd, args, traces.getStore());

  app.use('*', async (c, next) => {
    const started = performance.now();
    const given = c.req.header('X-Request-Id');
    const traceId = given && TRACE_RE.test(given) ? given : randomUUID();
    c.set('traceId', traceId);
    c.header('X-Request-Id', traceId);
    await traces.run(traceId, () => next());
    metrics.observe(c.req.routePath, c.res.status, performance.now() - started);
  });
  app.use('*', bodyCaps()); // before any route reads a body (413 body_too_large; docs/limits.md)

  app.onError((err, c) => {
    if (err instanceof ApplianceError) {
      const body: Record<string, unknown> = { error: { code: err.code, message: err.message } };
      if (err.details) (body.error as Record<string, unknown>).details = cborToJson(err.details as CborMap);
      // The rest of an over-long body stays unread: close instead of draining it for keep-alive.
      if (err.code === 'body_too_large') c.header('Connection', 'close');
      return c.json(body, ERROR_STATUS[err.code]);
    }
    if (err instanceof SyntaxError) return c.json({ error: { code: 'bad_request', message: 'request body is not valid JSON' } }, 400);
    return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
  });

  const principals = opts.principals ?? new PrincipalDirectory(opts.appliance);
  // A route accepts a token holding one of `scopes` whose policy role its principal holds
  // (principal-directory.ts); the principal is then seen with only those scopes.
  const requireScope = (...scopes: Scope[]) => async (c: Context<Env>, next: () => Promise<void>) => {
    const principal = opts.tokens.verify(c.req.header('Authorization'));
    c.set('principal', { ...principal, scopes: await principals.allowedScopes(principal, scopes) });
    await next();
  };
  const param = (c: Context<Env>, name: string): string => {
    const v = c.req.param(name);
    if (v === undefined || v.length === 0 || v.length > 256) throw new ApplianceError('bad_request', `missing path parameter "${name}"`);
    return v;
  };
  const body = async (c: Context<Env>) => jsonObject(await c.req.json(), 'body');
  /** The body of a signed approval: signer id (under `idField`), expiry and signature. */
  const signedBody = async (c: Context<Env>, idField: 'adminId' | 'approverId'): Promise<CborMap> => {
    const b = await body(c);
    return { [idField]: jsonString(b[idField], idField, 128), expiresAt: Number(jsonUint(b.expiresAt, 'expiresAt')), signature: jsonHex(b.signature, 'signature') };
  };
  const reply = (c: Context<Env>, result: CborMap) => c.json(cborToJson(result) as object, resultStatus(result.status));

  app.get('/healthz', async (c) => {
    try {
      return c.json(cborToJson(await call('health')) as object, 200);
    } catch (err) {
      if (err instanceof ApplianceError && err.code === 'unavailable') return c.json({ ready: false, error: { code: err.code, message: err.message } }, 503);
      throw err;
    }
  });
  app.get('/openapi.json', (c) => c.json(openApiDocument));
  app.get('/metrics', (c) => c.text(metrics.render(), 200, { 'Content-Type': 'text/plain; version=0.0.4' }));

  // ---- keys
  app.post('/v1/keys', requireScope('admin'), async (c) => {
    const b = await body(c);
    return c.json(cborToJson(await call('key.generate', { requester: c.get('principal').id, label: jsonString(b.label, 'label', 64), group: jsonString(b.group, 'group', 64) })) as object, 201);
  });
  // Read-only listings: requesters, and the admins who manage keys and the whitelist, and auditors.
  const readers = requireScope('orchestrator', 'admin', 'auditor');
  app.get('/v1/keys', readers, async (c) => {
    const args: CborMap = {};
    const limit = jsonOptUint(c.req.query('limit'), 'limit');
    const offset = jsonOptUint(c.req.query('offset'), 'offset');
    if (limit !== undefined) args.limit = limit;
    if (offset !== undefined) args.offset = offset;
    return c.json(cborToJson(await call('key.list', args)) as object);
  });
  app.get('/v1/keys/:keyId', readers, async (c) => c.json(cborToJson(await call('key.get', { keyId: param(c, 'keyId') })) as object));

  // ---- signing
  app.post('/v1/sign/evm-transaction', requireScope('orchestrator'), async (c) => {
    const key = c.req.header('Idempotency-Key');
    if (!key || !IDEMPOTENCY_KEY_RE.test(key)) throw new ApplianceError('bad_request', 'an Idempotency-Key header of 1-128 characters [A-Za-z0-9._:-] is required');
    const b = await body(c);
    const result = await call('sign.evm-tx', {
      requestId: key,
      requester: c.get('principal').id,
      keyId: jsonString(b.keyId, 'keyId', 128),
      tx: txFieldsFromJson(b.transaction),
    });
    return reply(c, result);
  });
  app.post('/v1/sign/typed-data', requireScope('orchestrator'), async (c) => {
    const key = c.req.header('Idempotency-Key');
    if (!key || !IDEMPOTENCY_KEY_RE.test(key)) throw new ApplianceError('bad_request', 'an Idempotency-Key header of 1-128 characters [A-Za-z0-9._:-] is required');
    const b = await body(c);
    const result = await call('sign.typed-data', {
      requestId: key,
      requester: c.get('principal').id,
      keyId: jsonString(b.keyId, 'keyId', 128),
      typedData: jsonToCbor(jsonObject(b.typedData, 'typedData'), 'typedData'),
    });
    return reply(c, result);
  });
  // A requester reads only its own requests; an approver, admin or auditor any (the appliance judges
  // both on its policy and answers not_found otherwise).
  app.get('/v1/requests/:id', requireScope('orchestrator', 'approver', 'admin', 'auditor'), async (c) => {
    const p = c.get('principal');
    const scope = p.scopes.find((s) => s !== 'orchestrator') ?? 'orchestrator';
    return reply(c, await call('request.get', { requestId: param(c, 'id'), viewer: p.id, role: SCOPE_ROLE[scope] }));
  });
  app.post('/v1/requests/:id/approvals', requireScope('approver'), async (c) =>
    reply(c, await call('request.approve', { requestId: param(c, 'id'), ...(await signedBody(c, 'approverId')) })),
  );

  // ---- whitelist
  app.post('/v1/whitelist/proposals', requireScope('admin'), async (c) => {
    const b = await body(c);
    const args: CborMap = {
      requester: c.get('principal').id,
      group: jsonString(b.group, 'group', 64),
      chainId: jsonUint(b.chainId, 'chainId'),
      address: jsonAddress(b.address, 'address'),
    };
    if (b.label !== undefined) args.label = jsonString(b.label, 'label', 128);
    return c.json(cborToJson(await call('whitelist.propose', args)) as object, 201);
  });
  app.post('/v1/whitelist/proposals/:id/approvals', requireScope('admin'), async (c) =>
    c.json(cborToJson(await call('whitelist.approve', { proposalId: param(c, 'id'), ...(await signedBody(c, 'adminId')) })) as object),
  );
  app.post('/v1/whitelist/proposals/:id/cancel', requireScope('admin'), async (c) =>
    c.json(cborToJson(await call('whitelist.cancel', { proposalId: param(c, 'id'), ...(await signedBody(c, 'adminId')) })) as object),
  );
  app.get('/v1/whitelist', readers, async (c) => {
    const args: CborMap = {};
    const limit = jsonOptUint(c.req.query('limit'), 'limit');
    const offset = jsonOptUint(c.req.query('offset'), 'offset');
    if (limit !== undefined) args.limit = limit;
    if (offset !== undefined) args.offset = offset;
    return c.json(cborToJson(await call('whitelist.list', args)) as object);
  });
  app.delete('/v1/whitelist/:chainId/:address', requireScope('admin'), async (c) => {
    const args: CborMap = {
      requester: c.get('principal').id,
      chainId: jsonUint(param(c, 'chainId'), 'chainId'),
      address: jsonAddress(param(c, 'address'), 'address'),
    };
    const group = c.req.query('group');
    if (group) args.group = jsonString(group, 'group', 64);
    return c.json(cborToJson(await call('whitelist.remove', args)) as object);
  });

  // ---- policy and audit
  app.get('/v1/policy', requireScope('auditor'), async (c) => c.json(cborToJson(await call('policy.get')) as object));
  app.get('/v1/audit', requireScope('auditor'), async (c) => {
    const args: CborMap = {};
    const fromSeq = jsonOptUint(c.req.query('fromSeq'), 'fromSeq');
    const limit = jsonOptUint(c.req.query('limit'), 'limit');
    if (fromSeq !== undefined) args.fromSeq = fromSeq;
    if (limit !== undefined) args.limit = limit;
    const page = await call('audit.list', args);
    // Alongside the exact stored COSE bytes (what an auditor verifies), the decoded payload for reading.
    const entries = (Array.isArray(page.entries) ? page.entries : []).map((e) => withPayload(e as CborMap));
    return c.json(cborToJson({ ...page, entries }) as object);
  });
  app.get('/v1/audit/export', requireScope('auditor'), (c) => {
    const format = c.req.query('format') ?? 'cbor-seq';
    if (format !== 'cbor-seq' && format !== 'jsonl') throw new ApplianceError('bad_request', '"format" expected cbor-seq or jsonl', { field: 'format' });
    let next = jsonOptUint(c.req.query('fromSeq'), 'fromSeq') ?? 1;
    const traceId = c.get('traceId');
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const page = await opts.appliance.call('audit.list', { fromSeq: next, limit: 500 }, traceId);
          const entries = (Array.isArray(page.entries) ? page.entries : []) as CborMap[];
          if (entries.length === 0) return controller.close();
          for (const e of entries) {
            controller.enqueue(format === 'cbor-seq' ? (e.entry as Uint8Array) : new TextEncoder().encode(JSON.stringify(cborToJson(withPayload(e))) + '\n'));
          }
          next = Number(entries[entries.length - 1]?.seq) + 1;
        } catch (err) {
          controller.error(err);
        }
      },
    });
    return new Response(body, { status: 200, headers: { 'Content-Type': format === 'cbor-seq' ? 'application/cbor-seq' : 'application/jsonl', 'X-Request-Id': traceId } });
  });

  // ---- policy changes
  app.post('/v1/policy/proposals', requireScope('admin'), async (c) => {
    const b = await body(c);
    let document: Uint8Array;
    if (b.document !== undefined) document = jsonHex(b.document, 'document', undefined, DEFAULT_MAX_FRAME);
    else {
      // A JSON policy: version, parent hash and device id are those that follow the active policy.
      const active = await call('policy.get');
      const doc = policyFromJson(jsonObject(b.policy, 'policy') as unknown as PolicyJson, String(asMap(active.document, 'document').deviceId), Number(active.version) + 1, active.hash as Uint8Array);
      document = encodePolicy(doc);
    }
    return c.json(cborToJson(await call('policy.propose', { requester: c.get('principal').id, document })) as object, 201);
  });
  const adminSigned = async (c: Context<Env>, cmd: 'policy.approve' | 'policy.cancel') =>
    c.json(cborToJson(await call(cmd, { proposalId: param(c, 'id'), ...(await signedBody(c, 'adminId')) })) as object);
  app.post('/v1/policy/proposals/:id/approvals', requireScope('admin'), (c) => adminSigned(c, 'policy.approve'));
  app.post('/v1/policy/proposals/:id/cancel', requireScope('admin'), (c) => adminSigned(c, 'policy.cancel'));
  app.post('/v1/policy/proposals/:id/activate', requireScope('admin'), async (c) => c.json(cborToJson(await call('policy.activate', { requester: c.get('principal').id, proposalId: param(c, 'id') })) as object));
  app.get('/v1/policy/proposals/:id', requireScope('auditor'), async (c) => c.json(cborToJson(await call('policy.proposal', { proposalId: param(c, 'id') })) as object));
  app.get('/v1/policy/versions/:v/diff', requireScope('auditor'), async (c) => {
    const args: CborMap = { version: jsonOptUint(param(c, 'v'), 'version') ?? 0 };
    const against = jsonOptUint(c.req.query('against'), 'against');
    if (against !== undefined) args.against = against;
    const diff = await call('policy.diff', args);
    if ((c.req.header('Accept') ?? '').includes('text/markdown')) return c.text(String(diff.markdown), 200, { 'Content-Type': 'text/markdown; charset=utf-8' });
    return c.json(cborToJson(diff) as object);
  });

  // ---- device identity, quotes, firmware updates
  app.get('/v1/device', requireScope('auditor'), async (c) => c.json(cborToJson(await call('device.info')) as object));
  app.get('/v1/device/attestation', requireScope('auditor'), async (c) => {
    const challenge = jsonHex(c.req.query('challenge'), 'challenge');
    return c.json(cborToJson(await call('device.attest', { challenge })) as object);
  });
  app.post('/v1/firmware/approvals', requireScope('admin'), async (c) => {
    const b = await body(c);
    const result = await call('firmware.approve', {
      measurement: jsonHex(b.measurement, 'measurement', 32),
      adminId: jsonString(b.adminId, 'adminId', 128),
      expiresAt: Number(jsonUint(b.expiresAt, 'expiresAt')),
      signature: jsonHex(b.signature, 'signature'),
    });
    return c.json(cborToJson(result) as object);
  });
  // The device's time: its two readings of now and the nonce an admin time statement carries; the
  // statement itself (admin quorum) moves the device's time forward. The appliance judges it.
  app.get('/v1/device/time', requireScope('admin'), async (c) => c.json(cborToJson(await call('device.time')) as object));
  app.post('/v1/device/time/attestations', requireScope('admin'), async (c) => {
    const b = await body(c);
    if (!Array.isArray(b.approvals) || b.approvals.length === 0 || b.approvals.length > 64) throw new ApplianceError('bad_request', '"approvals" expected an array of 1 to 64 signed admin approvals', { field: 'approvals' });
    const approvals = b.approvals.map((a: unknown, i: number) => {
      const m = jsonObject(a, `approvals[${i}]`);
      return { adminId: jsonString(m.adminId, 'adminId', 128), expiresAt: Number(jsonUint(m.expiresAt, 'expiresAt')), signature: jsonHex(m.signature, 'signature') };
    });
    return c.json(cborToJson(await call('device.time.attest', { time: Number(jsonUint(b.time, 'time')), nonce: jsonHex(b.nonce, 'nonce', 16), approvals })) as object);
  });

  // ---- server-sent events (holds, approvals needed, policy changes, denials), derived from the log
  let events = opts.events;
  app.get('/v1/events', async (c) => {
    const token = opts.tokens.verify(c.req.header('Authorization')); // any scope: requesters, approvers, admins, auditors
    const principal = { ...token, scopes: await principals.allowedScopes(token, ['orchestrator', 'approver', 'admin', 'auditor']) };
    events ??= new AuditEventFeed({ appliance: opts.appliance });
    await events.start();
    return sseResponse(events, c.req.raw.signal, { lastEventId: c.req.header('Last-Event-ID') ?? null, viewer: { principal: principal.id, scopes: principal.scopes } });
  });

  app.notFound((c) => c.json({ error: { code: 'not_found', message: 'no such route' } }, 404));
  return app;
}
