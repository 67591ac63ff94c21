// What every route module of the custody API shares: the hono types, the ledger database, the scope
// check, the readers of query parameters and JSON bodies (a bad one is a 400 problem naming it), and
// the list pages (a `limit`, one row more fetched to tell whether another page follows, a `next` cursor).
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { Db } from '../../ledger/db.js';
import type { Caller, CustodyScope, CustodyTokens } from '../auth.js';
import type { ServiceContext } from '../module.js';
import { ProblemError } from '../problem.js';

export type Env = { Variables: { caller: Caller; requestId: string } };
export type CustodyApp = Hono<Env>;
export type Ctx = Context<Env>;

export interface RouteContext {
  db: Db;
  /** Accepts a bearer token holding one of `scopes`. */
  requireScope(...scopes: CustodyScope[]): MiddlewareHandler<Env>;
  /** Reading routes: reader or operator. */
  readers: MiddlewareHandler<Env>;
  /** Changing routes: operator. */
  operators: MiddlewareHandler<Env>;
  /** The running service (chains, bridge, jobs' settings), when the app is served by one or a test gives one. */
  service?: ServiceContext;
}

export function routeContext(db: Db, tokens: CustodyTokens, service?: ServiceContext): RouteContext {
  const requireScope =
    (...scopes: CustodyScope[]): MiddlewareHandler<Env> =>
    async (c, next) => {
      c.set('caller', tokens.verify(c.req.header('Authorization'), scopes));
      await next();
    };
  return { db, requireScope, readers: requireScope('reader', 'operator'), operators: requireScope('operator'), ...(service ? { service } : {}) };
}

const bad = (field: string, detail: string) => new ProblemError('bad_request', detail, { field });

/** An optional query string parameter matching `re`. */
export function queryText(c: Ctx, name: string, re: RegExp): string | undefined {
  const v = c.req.query(name);
  if (v === undefined) return undefined;
  if (!re.test(v)) throw bad(name, `query parameter "${name}" is malformed`);
  return v;
}

/** An optional query parameter that is one of `values`. */
export function queryEnum<T extends string>(c: Ctx, name: string, values: readonly T[]): T | undefined {
  const v = c.req.query(name);
  if (v === undefined) return undefined;
  if (!(values as readonly string[]).includes(v)) throw bad(name, `query parameter "${name}" must be one of ${values.join(', ')}`);
  return v as T;
}

/** An optional non-negative integer query parameter (decimal, no leading zeros), at most `max`. */
export function queryInt(c: Ctx, name: string, max: number): number | undefined {
  const v = c.req.query(name);
  if (v === undefined) return undefined;
  if (!/^(0|[1-9][0-9]{0,15})$/.test(v) || Number(v) > max) throw bad(name, `query parameter "${name}" must be an integer from 0 to ${max}`);
  return Number(v);
}

/** The `limit` query parameter: 1 to `max`, default `dflt`. */
export function pageLimit(c: Ctx, max: number, dflt: number): number {
  const limit = queryInt(c, 'limit', max) ?? dflt;
  if (limit === 0) throw bad('limit', `query parameter "limit" must be an integer from 1 to ${max}`);
  return limit;
}

/**
 * One page of a list: `fetch` is asked for one row more than the `limit` query parameter (1 to `max`,
 * default `dflt`) allows, and that extra row, when it comes, makes `next` the cursor of the page's last
 * row (`cursorOf`); else `next` is null.
 */
export async function listPage<T>(c: Ctx, max: number, dflt: number, fetch: (limit: number) => Promise<T[]>, cursorOf: (last: T) => string): Promise<{ items: T[]; next: string | null }> {
  const limit = pageLimit(c, max, dflt);
  const rows = await fetch(limit + 1);
  const items = rows.slice(0, limit);
  return { items, next: rows.length > limit ? cursorOf(items[items.length - 1]!) : null };
}

/** The request's JSON object body (with `optional`, an empty body reads as {}). */
export async function jsonBody(c: Ctx, o: { optional?: boolean } = {}): Promise<Record<string, unknown>> {
  let v: unknown;
  try {
    const text = await c.req.text();
    // An optional body may be absent (empty): the route then has no members to read.
    if (o.optional === true && text.trim() === '') return {};
    v = JSON.parse(text);
  } catch {
    throw bad('body', 'the request body is not valid JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('body', 'the request body must be a JSON object');
  return v as Record<string, unknown>;
}

/** A string member of a body, matching `re` (when `optional`, absent gives undefined). */
export function bodyText(b: Record<string, unknown>, name: string, re: RegExp, optional = false): string | undefined {
  const v = b[name];
  if (v === undefined && optional) return undefined;
  if (typeof v !== 'string' || !re.test(v)) throw bad(name, `"${name}" is missing or malformed`);
  return v;
}
