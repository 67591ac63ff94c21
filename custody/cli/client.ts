// custodyctl's HTTP client for the custody API: the bearer token from a file or $CUSTODY_TOKEN, JSON
// answers, and errors that name the method, the URL and the problem (the service's problem detail, or
// the network failure's own code such as ECONNREFUSED), never a bare "fetch failed".
import { readFileSync } from 'node:fs';

export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

export interface ClientOptions {
  url: string;
  token: string;
}

/** The service URL: the flag, then $CUSTODY_URL, then the config's default address. */
export function serviceUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const raw = flag ?? (env.CUSTODY_URL || 'http://127.0.0.1:8090');
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CliError(`"${raw}" is not a URL (give --url http://host:port or $CUSTODY_URL)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CliError(`"${raw}" is not an http(s) URL`);
  return raw.replace(/\/+$/, '');
}

/** The bearer token: from --token-file, then $CUSTODY_TOKEN (never from the command line itself). */
export function serviceToken(tokenFile: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  let t: string | undefined;
  if (tokenFile !== undefined) {
    try {
      t = readFileSync(tokenFile, 'utf8').trim();
    } catch (err) {
      throw new CliError(`cannot read the token file ${tokenFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  } else t = env.CUSTODY_TOKEN;
  if (!t) throw new CliError('give the bearer token with --token-file FILE or $CUSTODY_TOKEN');
  return t;
}

function networkProblem(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED): is the service running there?';
  if (cause?.code === 'ENOTFOUND') return 'host not found (ENOTFOUND)';
  if (cause?.code) return `${cause.message ?? 'network error'} (${cause.code})`;
  if (cause?.message) return cause.message;
  return err instanceof Error && err.message !== 'fetch failed' ? err.message : 'the request did not reach the service';
}

/** GET a text resource (a report as Markdown); a non-2xx answer is a CliError as for callApi. */
export async function callText(opts: ClientOptions, path: string, accept: string): Promise<string> {
  return (await call(opts, 'GET', path, undefined, `${accept}, application/problem+json`)).text;
}

/** GET or POST a JSON resource; a non-2xx answer is a CliError naming the URL, the status and the problem. */
export async function callApi(opts: ClientOptions, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const { text, url, status } = await call(opts, method, path, body, 'application/json, application/problem+json');
  try {
    return text === '' ? null : JSON.parse(text);
  } catch {
    throw new CliError(`${method} ${url}: HTTP ${status}, and the answer is not JSON (is this the custody service?)`);
  }
}

async function call(opts: ClientOptions, method: 'GET' | 'POST', path: string, body: unknown, accept: string): Promise<{ text: string; url: string; status: number }> {
  const url = `${opts.url}${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { Authorization: `Bearer ${opts.token}`, Accept: accept, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new CliError(`${method} ${url}: ${networkProblem(err)}`);
  }
  const text = await res.text();
  if (!res.ok) {
    let p: { code?: unknown; detail?: unknown } | null;
    try {
      p = text === '' ? null : (JSON.parse(text) as { code?: unknown; detail?: unknown } | null);
    } catch {
      throw new CliError(`${method} ${url}: HTTP ${res.status}, and the answer is not JSON (is this the custody service?)`);
    }
    const what = typeof p?.code === 'string' ? `${p.code}: ${typeof p.detail === 'string' ? p.detail : ''}` : 'no problem details';
    throw new CliError(`${method} ${url}: HTTP ${res.status} ${what}`);
  }
  return { text, url, status: res.status };
}
