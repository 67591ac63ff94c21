// Request-body caps per route class (docs/limits.md). A body whose Content-Length is over the cap is
// refused before any of it is read; a body without one (chunked) is counted while it streams and
// refused as soon as it passes the cap, without reading the rest. The refusal is the typed error
// `body_too_large` (HTTP 413), and the connection is closed after it (RFC 9110 §15.5.14), so the
// server does not go on draining what the client keeps sending. On Node the body is counted as it is
// read from the socket (request-body.ts), without hono's bodyLimit, which would first make the adapter
// build a WHATWG Request; the rules are the same.
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApplianceError } from '../protocol/errors.js';
import { bodyBytes, nodeIncoming } from './request-body.js';

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** Every route unless listed below. */
export const DEFAULT_BODY_LIMIT = 256 * KiB;

/** Routes that need more, by method and path (hono route pattern). */
export const BODY_LIMITS: readonly { method: string; path: RegExp; limit: number; why: string }[] = [
  { method: 'POST', path: /^\/v1\/sign\/evm-transaction$/, limit: 512 * KiB, why: 'calldata up to 128 KiB is 256 Ki hex digits' },
  { method: 'POST', path: /^\/v1\/rpc$/, limit: 512 * KiB, why: 'a transaction with 128 KiB of calldata, as on the REST sign route' },
  { method: 'POST', path: /^\/v1\/policy\/proposals$/, limit: 4 * MiB, why: 'a policy document up to the 1 MiB frame, as hex or as JSON' },
];

export function bodyLimitFor(method: string, path: string): number {
  return BODY_LIMITS.find((r) => r.method === method && r.path.test(path))?.limit ?? DEFAULT_BODY_LIMIT;
}

const tooLarge = (limit: number) => new ApplianceError('body_too_large', `the request body exceeds the ${limit}-byte limit of this route`, { limit });

/** One middleware for all routes: picks the route's cap and applies hono's bodyLimit with it. */
export function bodyCaps(): MiddlewareHandler {
  const byLimit = new Map<number, MiddlewareHandler>();
  for (const limit of new Set([DEFAULT_BODY_LIMIT, ...BODY_LIMITS.map((r) => r.limit)])) {
    byLimit.set(
      limit,
      bodyLimit({
        maxSize: limit,
        onError: () => {
          throw tooLarge(limit);
        },
      }),
    );
  }
  return async (c, next) => {
    const limit = bodyLimitFor(c.req.method, c.req.path);
    const declared = c.req.header('Content-Length');
    // A Content-Length that is not a plain decimal cannot be trusted to bound the read: refuse it.
    if (declared !== undefined && !/^[0-9]{1,16}$/.test(declared)) throw new ApplianceError('bad_request', 'Content-Length must be a decimal number of bytes');
    if (nodeIncoming(c) === undefined) return byLimit.get(limit)!(c, next);
    // hono's bodyLimit on Node's request: no body for these methods; a Content-Length without a
    // Transfer-Encoding is trusted (Node's parser reads no more); any other body is counted now.
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD' || method === 'TRACE') return next();
    if (declared !== undefined && c.req.header('Transfer-Encoding') === undefined) {
      if (Number(declared) > limit) throw tooLarge(limit);
      return next();
    }
    await bodyBytes(c, { limit, tooLarge: () => tooLarge(limit) });
    return next();
  };
}
