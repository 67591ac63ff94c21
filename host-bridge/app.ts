// The host bridge: an HTTP API for the orchestrator, approvers, admins and auditors. It checks
// bearer tokens and scopes, converts JSON to the appliance's canonical CBOR commands and back, and
// maps results to HTTP statuses. It holds no key, no PIN, and makes no policy decision.
import { Hono, type Context } from 'hono';
import { decodeCanonical, type CborMap } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';
import type { Command } from '../protocol/messages.js';
import type { Principal, Scope, TokenVerifier } from './auth.js';
import { ERROR_STATUS, resultStatus } from './http-status.js';
import { cborToJson, jsonHex, jsonObject, jsonOptUint, jsonString, jsonUint, txFieldsFromJson } from './json-cbor.js';
import { Metrics } from './metrics.js';
import { openApiDocument } from './openapi.js';

export interface ApplianceCaller {
  call(cmd: Command, args?: CborMap): Promise<CborMap>;
}

export interface BridgeOptions {
  appliance: ApplianceCaller;
  tokens: TokenVerifier;
}

type Env = { Variables: { principal: Principal } };

const IDEMPOTENCY_KEY_RE = /^[A-Za-z0-9._:-]{1,128}$/;

export function createApp(opts: BridgeOptions): Hono<Env> {
  const app = new Hono<Env>();
  const metrics = new Metrics();
  const call = (cmd: Command, args: CborMap = {}) => opts.appliance.call(cmd, args);

  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    metrics.observe(c.req.routePath, c.res.status, performance.now() - started);
  });

  app.onError((err, c) => {
    if (err instanceof ApplianceError) {
      const body: Record<string, unknown> = { error: { code: err.code, message: err.message } };
      if (err.details) (body.error as Record<string, unknown>).details = cborToJson(err.details as CborMap);
      return c.json(body, ERROR_STATUS[err.code]);
    }
    if (err instanceof SyntaxError) return c.json({ error: { code: 'bad_request', message: 'request body is not valid JSON' } }, 400);
    return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
  });

  const requireScope = (scope: Scope) => async (c: Context<Env>, next: () => Promise<void>) => {
    const principal = opts.tokens.verify(c.req.header('Authorization'));
    if (!principal.scopes.includes(scope)) throw new ApplianceError('forbidden', `this token lacks the "${scope}" scope`);
    c.set('principal', principal);
    await next();
  };
  const param = (c: Context<Env>, name: string): string => {
    const v = c.req.param(name);
    if (v === undefined || v.length === 0 || v.length > 256) throw new ApplianceError('bad_request', `missing path parameter "${name}"`);
    return v;
  };
  const body = async (c: Context<Env>) => jsonObject(await c.req.json(), 'body');
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
    return c.json(cborToJson(await call('key.generate', { label: jsonString(b.label, 'label', 64), group: jsonString(b.group, 'group', 64) })) as object, 201);
  });
  app.get('/v1/keys', requireScope('orchestrator'), async (c) => c.json(cborToJson(await call('key.list')) as object));
  app.get('/v1/keys/:keyId', requireScope('orchestrator'), async (c) => c.json(cborToJson(await call('key.get', { keyId: param(c, 'keyId') })) as object));

  // ---- signing
  app.post('/v1/sign/evm-transaction', requireScope('orchestrator'), async (c) => {
    const key = c.req.header('Idempotency-Key');
    if (!key || !IDEMPOTENCY_KEY_RE.test(key)) throw new ApplianceError('bad_request', 'an Idempotency-Key header of 1-128 characters [A-Za-z0-9._:-] is required');
    const b = await body(c);
    const result = await call('sign.evm-tx', {
      requestId: key,
      requester: c.get('principal').name,
      keyId: jsonString(b.keyId, 'keyId', 128),
      tx: txFieldsFromJson(b.transaction),
    });
    return reply(c, result);
  });
  app.get('/v1/requests/:id', requireScope('orchestrator'), async (c) => reply(c, await call('request.get', { requestId: param(c, 'id') })));
  app.post('/v1/requests/:id/approvals', requireScope('approver'), async (c) => {
    const b = await body(c);
    const result = await call('request.approve', {
      requestId: param(c, 'id'),
      approverId: jsonString(b.approverId, 'approverId', 128),
      expiresAt: Number(jsonUint(b.expiresAt, 'expiresAt')),
      signature: jsonHex(b.signature, 'signature'),
    });
    return reply(c, result);
  });

  // ---- whitelist
  app.post('/v1/whitelist/proposals', requireScope('admin'), async (c) => {
    const b = await body(c);
    const args: CborMap = {
      requester: c.get('principal').name,
      group: jsonString(b.group, 'group', 64),
      chainId: jsonUint(b.chainId, 'chainId'),
      address: jsonHex(b.address, 'address', 20),
    };
    if (b.label !== undefined) args.label = jsonString(b.label, 'label', 128);
    return c.json(cborToJson(await call('whitelist.propose', args)) as object, 201);
  });
  app.post('/v1/whitelist/proposals/:id/approvals', requireScope('admin'), async (c) => {
    const b = await body(c);
    const result = await call('whitelist.approve', {
      proposalId: param(c, 'id'),
      adminId: jsonString(b.adminId, 'adminId', 128),
      expiresAt: Number(jsonUint(b.expiresAt, 'expiresAt')),
      signature: jsonHex(b.signature, 'signature'),
    });
    return c.json(cborToJson(result) as object);
  });
  app.get('/v1/whitelist', requireScope('orchestrator'), async (c) => {
    const args: CborMap = {};
    const limit = jsonOptUint(c.req.query('limit'), 'limit');
    const offset = jsonOptUint(c.req.query('offset'), 'offset');
    if (limit !== undefined) args.limit = limit;
    if (offset !== undefined) args.offset = offset;
    return c.json(cborToJson(await call('whitelist.list', args)) as object);
  });
  app.delete('/v1/whitelist/:chainId/:address', requireScope('admin'), async (c) => {
    const args: CborMap = {
      requester: c.get('principal').name,
      chainId: jsonUint(param(c, 'chainId'), 'chainId'),
      address: jsonHex(param(c, 'address'), 'address', 20),
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
    // Alongside the exact stored bytes (what an auditor verifies), a decoded view for reading.
    const entries = Array.isArray(page.entries) ? page.entries : [];
    const withDecoded = entries.map((e) => {
      const m = e as CborMap;
      return m.entry instanceof Uint8Array ? { ...m, decoded: decodeCanonical(m.entry) } : m;
    });
    return c.json(cborToJson({ ...page, entries: withDecoded }) as object);
  });

  app.notFound((c) => c.json({ error: { code: 'not_found', message: 'no such route' } }, 404));
  return app;
}
