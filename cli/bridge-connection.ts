// Where hsmctl finds the bridge and its bearer token, and how it calls it. The URL comes from --url,
// then $HSM, then the config file, then http://127.0.0.1:8080; the token from --token-file, then
// $HSM_TOKEN, then the config file (never from argv: a token on the command line shows in `ps` and
// shell history). The config file is $HSMCTL_CONFIG, else $XDG_CONFIG_HOME/hsmctl/config.json, else
// ~/.config/hsmctl/config.json: JSON { "url"?, "token"?, "tokenFile"? }; a file holding a token must
// not be readable by group or others. Every network error names the method and URL it tried.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ApplianceError, isErrorCode } from '../protocol/errors.js';

export const DEFAULT_BRIDGE_URL = 'http://127.0.0.1:8080';

export interface HsmctlConfig {
  url?: string;
  token?: string;
  tokenFile?: string;
}

type Env = Record<string, string | undefined>;

/** The config file's path (it may not exist). */
export function configPath(env: Env = process.env): string {
  if (env.HSMCTL_CONFIG) return env.HSMCTL_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'hsmctl', 'config.json');
}

/** The config file's contents; {} when there is none. A file named by $HSMCTL_CONFIG must exist. */
export function readConfig(env: Env = process.env): HsmctlConfig {
  const file = configPath(env);
  if (!existsSync(file)) {
    if (env.HSMCTL_CONFIG) throw new ApplianceError('bad_request', `$HSMCTL_CONFIG names ${file}, which does not exist`);
    return {};
  }
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new ApplianceError('bad_request', `the hsmctl config ${file} is not JSON`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new ApplianceError('bad_request', `the hsmctl config ${file} must be a JSON object`);
  const c = doc as Record<string, unknown>;
  for (const k of Object.keys(c)) {
    if (!['url', 'token', 'tokenFile'].includes(k)) throw new ApplianceError('bad_request', `the hsmctl config ${file} has an unknown field "${k}" (url, token, tokenFile)`);
    if (typeof c[k] !== 'string') throw new ApplianceError('bad_request', `"${k}" in the hsmctl config ${file} must be a string`);
  }
  if (c.token !== undefined && (statSync(file).mode & 0o077) !== 0) throw new ApplianceError('bad_request', `the hsmctl config ${file} holds a token but others can read it: chmod 600 ${file}`);
  return c as HsmctlConfig;
}

/** The bridge URL without a trailing slash: --url, $HSM, the config file, the default. */
export function bridgeUrl(flag: unknown, env: Env = process.env): string {
  const given = typeof flag === 'string' && flag !== '' ? flag : env.HSM || readConfig(env).url || DEFAULT_BRIDGE_URL;
  let u: URL;
  try {
    u = new URL(given);
  } catch {
    throw new ApplianceError('bad_request', `the bridge URL "${given}" is not a URL (give --url, $HSM or "url" in ${configPath(env)})`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ApplianceError('bad_request', `the bridge URL "${given}" must be http or https`);
  return given.replace(/\/+$/, '');
}

/** The bearer token: --token-file, $HSM_TOKEN, the config file's token or tokenFile. */
export function bridgeToken(tokenFile: unknown, env: Env = process.env): string {
  const fromFile = (f: string) => {
    try {
      return readFileSync(f, 'utf8').trim();
    } catch {
      throw new ApplianceError('bad_request', `cannot read the token file ${f}`);
    }
  };
  if (typeof tokenFile === 'string' && tokenFile !== '') return nonEmpty(fromFile(tokenFile), `the token file ${tokenFile}`);
  if (env.HSM_TOKEN) return env.HSM_TOKEN;
  const c = readConfig(env);
  if (c.token) return c.token;
  if (c.tokenFile) return nonEmpty(fromFile(c.tokenFile), `the token file ${c.tokenFile}`);
  throw new ApplianceError('bad_request', `give the bearer token in --token-file FILE, $HSM_TOKEN or "token"/"tokenFile" in ${configPath(env)} (never on the command line)`);
}

function nonEmpty(t: string, where: string): string {
  if (!t) throw new ApplianceError('bad_request', `${where} is empty`);
  return t;
}

/** fetch, but a failure to connect names the method and URL and why (never a bare "fetch failed"). */
export async function fetchBridge(url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const why = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    throw new ApplianceError('unavailable', `cannot reach the bridge: ${init.method ?? 'GET'} ${url}: ${why}`);
  }
}

export interface BridgeAnswer {
  status: number;
  json: Record<string, unknown>;
}

/** A JSON call to the bridge; the answer (any status) as JSON. A body that is not JSON names the URL. */
export async function callBridge(url: string, opts: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<BridgeAnswer> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = {
    ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
    ...(opts.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    ...opts.headers,
  };
  const res = await fetchBridge(url, { method, headers, ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}) });
  const text = await res.text();
  try {
    const json: unknown = text ? JSON.parse(text) : {};
    return { status: res.status, json: json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : { value: json } };
  } catch {
    throw new ApplianceError('unavailable', `${method} ${url} answered HTTP ${res.status} with a body that is not JSON`);
  }
}

/**
 * The code and message of a bridge error: an RFC 9457 problem carries the appliance's code as `code` and
 * the message as `detail` (its `error` member, the code again, is kept for older clients); undefined
 * for an answer that is not an error.
 */
export function bridgeProblem(json: Record<string, unknown>): { code?: string; message?: string } | undefined {
  const legacy = json.error;
  if (typeof json.code !== 'string' && legacy === undefined) return undefined;
  const code = typeof json.code === 'string' ? json.code : typeof legacy === 'string' ? legacy : (legacy as { code?: unknown } | null)?.code;
  const message = typeof json.detail === 'string' ? json.detail : (legacy as { message?: unknown } | null)?.message;
  return { ...(typeof code === 'string' ? { code } : {}), ...(typeof message === 'string' ? { message } : {}) };
}

/** The bridge's error as one line: "METHOD URL answered HTTP 409 conflict: message". */
export function describeFailure(method: string, url: string, a: BridgeAnswer): string {
  const err = bridgeProblem(a.json);
  const codes = ((a.json.reasons as { code: string }[] | undefined) ?? []).map((r) => r.code);
  return `${method} ${url} answered HTTP ${a.status}${err?.code ? ` ${err.code}` : ''}${err?.message ? `: ${err.message}` : ''}${codes.length ? ` (${codes.join(', ')})` : ''}`;
}

/**
 * A JSON call to the bridge at --url/$HSM/config with the token of --token-file/$HSM_TOKEN/config; a
 * 4xx/5xx answer is a typed error naming the method and URL (the bridge's own code when it gave one).
 */
export async function callBridgeOrThrow(v: Record<string, unknown>, method: string, path: string, body?: unknown): Promise<BridgeAnswer> {
  const url = `${bridgeUrl(v.url)}${path}`;
  const ans = await callBridge(url, { method, token: bridgeToken(v['token-file']), ...(body !== undefined ? { body } : {}) });
  if (ans.status >= 400) {
    const code = bridgeProblem(ans.json)?.code;
    throw new ApplianceError(isErrorCode(code) ? code : ans.status === 403 ? 'denied' : 'unavailable', describeFailure(method, url, ans));
  }
  return ans;
}
