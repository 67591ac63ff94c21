// The custody service's configuration: a JSON file, validated field by field; a bad field is a
// CustodyConfigError naming it (`http.port`, `tokens[1].sha256`...). Holds no secret: API tokens are
// stored as SHA-256 hashes, and the bridge token is read from a file the config names.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ChainConfig, Finality } from '../ledger/chain.js';
import { CUSTODY_SCOPES, type CustodyScope, type CustodyTokenRecord } from './auth.js';

export class CustodyConfigError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`config ${field}: ${message}`);
    this.name = 'CustodyConfigError';
    this.field = field;
  }
}

export type DatabaseConfig = { kind: 'embedded'; dataDir: string | undefined } | { kind: 'postgres'; url: string };

export interface CustodyConfig {
  http: { host: string; port: number };
  database: DatabaseConfig;
  tokens: CustodyTokenRecord[];
  chains: ChainConfig[];
  bridge: { url: string; tokenFile: string | undefined } | undefined;
}

type Json = Record<string, unknown>;

function obj(v: unknown, field: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CustodyConfigError(field, 'expected an object');
  return v as Json;
}

function str(v: unknown, field: string, re?: RegExp): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 2048) throw new CustodyConfigError(field, 'expected a non-empty string');
  if (re && !re.test(v)) throw new CustodyConfigError(field, `does not match ${re}`);
  return v;
}

function optStr(v: unknown, field: string): string | undefined {
  return v === undefined ? undefined : str(v, field);
}

function httpUrl(v: unknown, field: string): string {
  const s = str(v, field);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new CustodyConfigError(field, 'expected an http(s) URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new CustodyConfigError(field, 'expected an http(s) URL');
  if (u.username || u.password) throw new CustodyConfigError(field, 'credentials do not go in the URL');
  return s;
}

function onlyKeys(o: Json, keys: string[], field: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new CustodyConfigError(field === '' ? k : `${field}.${k}`, 'unknown field');
}

/** Validates a parsed config; relative paths are taken from `baseDir` (the config file's folder). */
export function parseConfig(raw: unknown, baseDir: string): CustodyConfig {
  const root = obj(raw, '(root)');
  onlyKeys(root, ['http', 'database', 'tokens', 'chains', 'bridge'], '');

  const h = obj(root.http ?? {}, 'http');
  onlyKeys(h, ['host', 'port'], 'http');
  const host = h.host === undefined ? '127.0.0.1' : str(h.host, 'http.host', /^[A-Za-z0-9.:-]{1,253}$/);
  const port = h.port === undefined ? 8090 : h.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) throw new CustodyConfigError('http.port', 'expected an integer 0-65535 (0: any free port)');

  const d = obj(root.database ?? {}, 'database');
  onlyKeys(d, ['dataDir', 'postgresUrl'], 'database');
  let database: DatabaseConfig;
  if (d.postgresUrl !== undefined) {
    if (d.dataDir !== undefined) throw new CustodyConfigError('database', 'give dataDir or postgresUrl, not both');
    const url = str(d.postgresUrl, 'database.postgresUrl', /^postgres(ql)?:\/\//);
    database = { kind: 'postgres', url };
  } else {
    const dataDir = optStr(d.dataDir, 'database.dataDir');
    database = { kind: 'embedded', dataDir: dataDir === undefined ? undefined : resolve(baseDir, dataDir) };
  }

  if (!Array.isArray(root.tokens ?? [])) throw new CustodyConfigError('tokens', 'expected an array');
  const tokens = ((root.tokens ?? []) as unknown[]).map((t, i): CustodyTokenRecord => {
    const f = `tokens[${i}]`;
    const o = obj(t, f);
    onlyKeys(o, ['name', 'scopes', 'sha256'], f);
    const name = str(o.name, `${f}.name`, /^[A-Za-z0-9._-]{1,64}$/);
    if (!Array.isArray(o.scopes) || o.scopes.length === 0) throw new CustodyConfigError(`${f}.scopes`, `expected a non-empty array of ${CUSTODY_SCOPES.join(', ')}`);
    const scopes = o.scopes.map((s, j) => {
      if (!(CUSTODY_SCOPES as readonly unknown[]).includes(s)) throw new CustodyConfigError(`${f}.scopes[${j}]`, `expected one of ${CUSTODY_SCOPES.join(', ')}`);
      return s as CustodyScope;
    });
    const sha256 = str(o.sha256, `${f}.sha256`, /^[0-9a-f]{64}$/);
    return { name, scopes, sha256 };
  });

  if (!Array.isArray(root.chains ?? [])) throw new CustodyConfigError('chains', 'expected an array');
  const chains = ((root.chains ?? []) as unknown[]).map((c, i): ChainConfig => {
    const f = `chains[${i}]`;
    const o = obj(c, f);
    onlyKeys(o, ['chainId', 'rpcUrl', 'finality', 'tokens'], f);
    const idText = typeof o.chainId === 'number' && Number.isSafeInteger(o.chainId) ? String(o.chainId) : o.chainId;
    const chainId = BigInt(str(idText, `${f}.chainId`, /^[1-9][0-9]{0,19}$/));
    const rpcUrl = httpUrl(o.rpcUrl, `${f}.rpcUrl`);
    const fin = obj(o.finality ?? { tag: 'finalized' }, `${f}.finality`);
    let finality: Finality;
    if ('tag' in fin) {
      if (fin.tag !== 'finalized' && fin.tag !== 'safe') throw new CustodyConfigError(`${f}.finality.tag`, 'expected finalized or safe');
      finality = { tag: fin.tag };
    } else if (typeof fin.confirmations === 'number' && Number.isSafeInteger(fin.confirmations) && fin.confirmations >= 0) {
      finality = { confirmations: fin.confirmations };
    } else throw new CustodyConfigError(`${f}.finality`, 'expected { "tag": "finalized" | "safe" } or { "confirmations": n }');
    if (!Array.isArray(o.tokens ?? [])) throw new CustodyConfigError(`${f}.tokens`, 'expected an array of token addresses');
    const tokenList = ((o.tokens ?? []) as unknown[]).map((t, j) => str(t, `${f}.tokens[${j}]`, /^0x[0-9a-fA-F]{40}$/));
    return { chainId, rpcUrl, finality, tokens: tokenList };
  });
  const seen = new Set<bigint>();
  for (const [i, c] of chains.entries()) {
    if (seen.has(c.chainId)) throw new CustodyConfigError(`chains[${i}].chainId`, 'listed twice');
    seen.add(c.chainId);
  }

  let bridge: CustodyConfig['bridge'];
  if (root.bridge !== undefined) {
    const b = obj(root.bridge, 'bridge');
    onlyKeys(b, ['url', 'tokenFile'], 'bridge');
    const tokenFile = optStr(b.tokenFile, 'bridge.tokenFile');
    bridge = { url: httpUrl(b.url, 'bridge.url'), tokenFile: tokenFile === undefined ? undefined : resolve(baseDir, tokenFile) };
  }

  return { http: { host, port }, database, tokens, chains, bridge };
}

/** Reads and validates the config file. */
export function loadConfig(file: string): CustodyConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CustodyConfigError('(file)', `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CustodyConfigError('(file)', `${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseConfig(raw, dirname(resolve(file)));
}
