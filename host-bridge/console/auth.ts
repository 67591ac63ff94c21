// The console's cookie session as a way in to the few approver routes the console needs (listing
// and reading requests, adding an approval, the event stream; each route opts in). A request with
// an Authorization header is judged by its bearer token only; one without, by its `hsm_console`
// cookie: a live session stands for its approver with the approver scope and nothing more. A
// request that changes state (anything but GET/HEAD) must also carry an Origin header equal to the
// console's origin: a CSRF defence on top of SameSite=Strict (docs/console.md).
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { ApplianceError } from '../../protocol/errors.js';
import type { Principal } from '../auth.js';
import type { ConsoleSessions } from './sessions.js';

export const SESSION_COOKIE = 'hsm_console';

export interface ConsoleConfig {
  /** Where the console is served, exactly as the browser writes it: "https://approve.example.com" or "http://localhost:8080". */
  origin: string;
  sessions: ConsoleSessions;
}

/** Refuses an origin the console cannot be served from safely: https, or http on localhost only. */
export function checkConsoleOrigin(origin: string): URL {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    throw new ApplianceError('bad_request', `console origin "${origin}" is not a URL`);
  }
  if (u.origin !== origin) throw new ApplianceError('bad_request', `console origin "${origin}" must be written as "${u.origin}" (scheme, host and port only)`);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && isLocalhost(u.hostname))) throw new ApplianceError('bad_request', 'the console is served over https (http only on localhost)');
  return u;
}

export function isLocalhost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
}

/** Refuses (403 origin_mismatch) a state-changing request whose Origin is not the console's. */
export function requireConsoleOrigin(c: Context, config: ConsoleConfig): void {
  if (c.req.method === 'GET' || c.req.method === 'HEAD') return;
  const origin = c.req.header('Origin');
  if (origin !== config.origin) throw new ApplianceError('forbidden', 'this request does not come from the approver console', { code: 'origin_mismatch' });
}

/** The principal of the request's console session, or undefined when it carries no console cookie. */
export function consolePrincipal(c: Context, config: ConsoleConfig): Principal | undefined {
  const id = getCookie(c, SESSION_COOKIE);
  if (id === undefined) return undefined;
  const approverId = config.sessions.approverOf(id);
  if (approverId === undefined) throw new ApplianceError('unauthorized', 'the console session is unknown or has expired: sign in again', { code: 'session_expired' });
  requireConsoleOrigin(c, config);
  return { name: 'console', id: approverId, scopes: ['approver'] };
}
