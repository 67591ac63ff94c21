// What every route module shares: the typed appliance command under the request's trace id, the one
// forwarding helper (command, CBOR to JSON, HTTP status), scope checks, and the readers of path
// parameters, JSON bodies, signed approvals and the Idempotency-Key.
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { CborMap } from '../../protocol/cbor.js';
import type { CommandName, ParamsOf, ResultOf } from '../../protocol/commands/index.js';
import { ApplianceError } from '../../protocol/errors.js';
import { commandOf, type ApplianceCaller } from '../appliance-caller.js';
import type { Principal, Scope, TokenVerifier } from '../auth.js';
import { resultStatus } from '../http-status.js';
import { idempotencyKey } from '../idempotency-key.js';
import { bodyJson, bodyText } from '../request-body.js';
import { cborToJson, jsonObject, jsonOptUint } from '../json-cbor.js';
import { readableJson, type DecimalsOf } from '../readable-json.js';
import { adminApprovalBody, type AdminApprovalBody } from '../approval-body.js';
import type { PrincipalDirectory } from '../principal-directory.js';
import { consolePrincipal, type ConsoleConfig } from '../console/auth.js';

export type Env = { Variables: { principal: Principal; traceId: string } };
export type BridgeApp = Hono<Env>;
export type Ctx = Context<Env>;

/** The reply's status: a fixed one, or by the result's `status` field (sign and approve results). */
export type ReplyStatus = ContentfulStatusCode | 'by-result';

export interface RouteContext {
  appliance: ApplianceCaller;
  tokens: TokenVerifier;
  principals: PrincipalDirectory;
  /** A catalogue command with typed parameters, under the request's trace id. */
  command<C extends CommandName>(c: Ctx, cmd: C, params: ParamsOf<C>): Promise<ResultOf<C>>;
  /** Forwards a command and answers its result as JSON with `status` (200 unless given). */
  forward<C extends CommandName>(c: Ctx, cmd: C, params: ParamsOf<C>, status?: ReplyStatus): Promise<Response>;
  /** A result as JSON with `status`, with its readable members (readable-json.ts; `decimalsOf` for amounts outside a decoded request). */
  reply(c: Ctx, result: CborMap, status?: ReplyStatus, decimalsOf?: DecimalsOf): Response;
  /** Accepts a token holding one of `scopes` whose policy role its principal holds; the principal is then seen with only those. */
  requireScope(...scopes: Scope[]): MiddlewareHandler<Env>;
  /** As requireScope, but a request without an Authorization header may instead come from an approver's console session (console/auth.ts). */
  requireScopeOrConsole(...scopes: Scope[]): MiddlewareHandler<Env>;
  /** The approver console's origin and sessions, when the bridge serves the console. */
  console: ConsoleConfig | undefined;
  /** Read-only listings: requesters, the admins who manage keys and the whitelist, and auditors. */
  readers: MiddlewareHandler<Env>;
  param(c: Ctx, name: string): string;
  body(c: Ctx): Promise<Record<string, unknown>>;
  /** A JSON object body that may be absent (empty): then {}. */
  optionalBody(c: Ctx): Promise<Record<string, unknown>>;
  /** An admin's signed approval body (approval-body.ts ADMIN_APPROVAL_BODY): adminId, expiresAt, signature. */
  adminSignedBody(c: Ctx): Promise<AdminApprovalBody>;
  /** The Idempotency-Key header (400 without a well-formed one). */
  idempotencyKey(c: Ctx): string;
}

export function routeContext(appliance: ApplianceCaller, tokens: TokenVerifier, principals: PrincipalDirectory, consoleConfig?: ConsoleConfig): RouteContext {
  const typed = commandOf(appliance);
  const command = <C extends CommandName>(c: Ctx, cmd: C, params: ParamsOf<C>) => typed(cmd, params, c.get('traceId'));
  const reply = (c: Ctx, result: CborMap, status: ReplyStatus = 200, decimalsOf?: DecimalsOf) =>
    c.json(readableJson(cborToJson(result), { ...(decimalsOf ? { decimalsOf } : {}) }) as object, status === 'by-result' ? resultStatus(result.status) : status);
  const scoped =
    (viaConsole: boolean, scopes: Scope[]): MiddlewareHandler<Env> =>
    async (c, next) => {
      const header = c.req.header('Authorization');
      const fromConsole = viaConsole && header === undefined && consoleConfig ? consolePrincipal(c, consoleConfig) : undefined;
      const principal = fromConsole ?? tokens.verify(header);
      c.set('principal', { ...principal, scopes: await principals.allowedScopes(principal, scopes) });
      await next();
    };
  const requireScope = (...scopes: Scope[]) => scoped(false, scopes);
  const body = async (c: Ctx) => jsonObject(await bodyJson(c), 'body');
  const optionalBody = async (c: Ctx) => {
    const text = await bodyText(c);
    return text.trim() === '' ? {} : jsonObject(JSON.parse(text), 'body');
  };
  return {
    appliance,
    tokens,
    principals,
    command,
    forward: async (c, cmd, params, status) => reply(c, (await command(c, cmd, params)) as CborMap, status),
    reply,
    requireScope,
    requireScopeOrConsole: (...scopes: Scope[]) => scoped(true, scopes),
    console: consoleConfig,
    readers: requireScope('orchestrator', 'admin', 'auditor'),
    param: (c, name) => {
      const v = c.req.param(name);
      if (v === undefined || v.length === 0 || v.length > 256) throw new ApplianceError('bad_request', `missing path parameter "${name}"`);
      return v;
    },
    body,
    optionalBody,
    adminSignedBody: async (c) => adminApprovalBody(await body(c)),
    idempotencyKey: (c) => idempotencyKey(c.req.header('Idempotency-Key')),
  };
}

/** The unsigned integers of a query that are present (an absent one is left out, so the appliance's default applies). */
export function queryUints<N extends string>(c: Ctx, ...names: N[]): { [K in N]?: number } {
  const out: { [K in N]?: number } = {};
  for (const n of names) {
    const v = jsonOptUint(c.req.query(n), n);
    if (v !== undefined) out[n] = v;
  }
  return out;
}
