// The custody service's API description (OpenAPI 3.1), served at GET /openapi.json: the base document
// (security, the problem schema, shared schemas) plus each module's paths and schemas. Error responses
// come from the problem codes' own statuses (problem.ts), never copies. A test checks that every served
// route is described and every described operation is served.
import { ENTRY_KINDS } from '../ledger/transitions.js';
import { ACCOUNT_KINDS, STATES } from '../ledger/kinds.js';
import { CUSTODY_SCOPES } from './auth.js';
import type { CustodyModule } from './module.js';
import { ALL_PROBLEM_CODES, problemStatus, type ProblemCode } from './problem.js';

export const decimal = { type: 'string', pattern: '^-?(0|[1-9][0-9]*)$', description: 'an integer as a decimal string (amounts in the asset’s smallest unit)' };
export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const ok = (description: string, schema: object) => ({ description, content: { 'application/json': { schema } } });
export const queryParam = (name: string, description: string, schema: object = { type: 'string' }) => ({ name, in: 'query', required: false, schema, description });
export const pathParam = (name: string, description: string, schema: object = { type: 'string' }) => ({ name, in: 'path', required: true, schema, description });
export const bearer = (...scopes: string[]) => [{ bearer: scopes }];

/** The problem responses for `codes`, grouped by status, each naming its codes. */
export function problems(...codes: ProblemCode[]): Record<string, object> {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of codes) byStatus.set(problemStatus(code), [...(byStatus.get(problemStatus(code)) ?? []), code]);
  const out: Record<string, object> = {};
  for (const [status, list] of [...byStatus].sort((a, b) => a[0] - b[0])) {
    out[String(status)] = { description: `problem: ${list.join(', ')}`, content: { 'application/problem+json': { schema: ref('Problem') } } };
  }
  return out;
}

/** What Node's HTTP server answers before the app sees a request: headers over its 16 KiB limit (no body). */
export const HEADERS_TOO_LARGE = { '431': { description: "request headers over Node's 16 KiB limit: the HTTP server answers before the service, with no body" } };

/** The problems of any route behind a token. */
export const AUTH_PROBLEMS: ProblemCode[] = ['unauthorized', 'forbidden', 'internal'];

const baseSchemas: Record<string, object> = {
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details. `type` is /problems/<code>, relative to the service URL; `code` is the service or ledger error code.',
    required: ['type', 'title', 'status', 'detail', 'code'],
    properties: {
      type: { type: 'string', format: 'uri-reference' },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      code: { type: 'string', enum: [...ALL_PROBLEM_CODES] },
      field: { type: 'string', description: 'for bad_request: the parameter or body member at fault' },
      scopes: { type: 'array', items: { type: 'string' }, description: 'for forbidden: the scopes the route accepts' },
      details: { type: 'object', description: 'for a ledger error: its typed details (account, state, asset...)' },
    },
  },
  Balance: {
    type: 'object',
    required: ['accountId', 'kind', 'owner', 'asset', ...STATES],
    properties: {
      accountId: { type: 'string', description: 'kind/owner/asset' },
      kind: { type: 'string', enum: [...ACCOUNT_KINDS] },
      owner: { type: 'string' },
      asset: { type: 'string', description: '"<chainId>:native" or "<chainId>:erc20:0x<token>"' },
      ...Object.fromEntries(STATES.map((s) => [s, decimal])),
    },
  },
  Entry: {
    type: 'object',
    required: ['id', 'kind', 'idempotencyKey', 'trace', 'reverses', 'lines'],
    properties: {
      id: decimal,
      kind: { type: 'string', enum: [...ENTRY_KINDS] },
      idempotencyKey: { type: 'string' },
      trace: { type: 'object', required: ['traceId'], properties: { traceId: { type: 'string' }, bridgeRequestId: { type: 'string' }, auditSeq: { type: 'integer' } } },
      reverses: { oneOf: [decimal, { type: 'null' }] },
      lines: {
        type: 'array',
        items: {
          type: 'object',
          required: ['accountId', 'accountKind', 'asset', 'state', 'amount'],
          properties: {
            accountId: { type: 'string' },
            accountKind: { type: 'string', enum: [...ACCOUNT_KINDS] },
            asset: { type: 'string' },
            state: { type: 'string', enum: [...STATES] },
            amount: decimal,
          },
        },
      },
    },
  },
};

/** The whole document for the given modules. */
export function buildOpenApi(modules: readonly CustodyModule[]): object {
  const paths: Record<string, Record<string, object>> = {};
  const schemas: Record<string, object> = { ...baseSchemas };
  for (const m of modules) {
    for (const [path, ops] of Object.entries(m.paths ?? {})) {
      for (const [method, op] of Object.entries(ops)) {
        if (paths[path]?.[method]) throw new Error(`module ${m.name}: ${method.toUpperCase()} ${path} is described twice`);
        (paths[path] ??= {})[method] = op;
      }
    }
    for (const [name, s] of Object.entries(m.schemas ?? {})) {
      if (schemas[name]) throw new Error(`module ${m.name}: schema ${name} is defined twice`);
      schemas[name] = s;
    }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Custody service',
      version: '0.1.0',
      description: 'The internal ledger (balances, journal, replay) and the custody-address registry; the orchestrator and reconciliation plug into the same service. Errors are RFC 9457 problems.',
      license: { name: 'Proprietary (package.json: UNLICENSED); no licence is granted', identifier: 'LicenseRef-Proprietary' },
    },
    servers: [{ url: '/', description: 'the service that serves this document (custody config http.host/http.port)' }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: `A token from the service's config (stored there as its SHA-256 hash), with scopes ${CUSTODY_SCOPES.join(', ')}: reader reads, operator reads and registers hot addresses. A missing or unknown token is 401 unauthorized; a token without the route's scope is 403 forbidden.`,
        },
      },
      schemas,
    },
    paths,
  };
}
