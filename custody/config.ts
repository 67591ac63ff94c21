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
  bridge: BridgeConfig | undefined;
  jobs: LedgerJobsConfig;
}

/** The bridge and the principals the service acts as there (docs/custody-service.md "Config"). */
export interface BridgeConfig {
  url: string;
  /** The service's requester token (sweeps ask the signing route with it). */
  tokenFile: string | undefined;
  /** The requester id that token is bound to (default `custody`). */
  requesterId: string;
  /** The requester's request key (PKCS#8 PEM, P-256 or Ed25519): sweeps are stamped with it when given. */
  requestKeyFile: string | undefined;
  /** The appliance's device id (stamps name it); absent: read from the bridge's /healthz. */
  deviceId: string | undefined;
  /** The admin that generates deposit keys (POST /v1/keys): its id, token file and request key. */
  admin: { id: string; tokenFile: string; requestKeyFile: string | undefined } | undefined;
  /** The deposit key group of the policy (default `deposit`). */
  depositGroup: string;
}

/** The periodic jobs of the ledger's modules (milliseconds between the end of a run and the next). */
export interface LedgerJobsConfig {
  /** The chain watcher's step and the sweeps' finality, per chain (default 4000). */
  depositsEveryMs: number;
  /** Reconciliation per chain (default 300000). */
  reconcileEveryMs: number;
  /** Sweeping every deposit address that holds a final balance, per chain; null (the default): off. */
  sweepEveryMs: number | null;
}

export const DEFAULT_LEDGER_JOBS: LedgerJobsConfig = { depositsEveryMs: 4000, reconcileEveryMs: 300_000, sweepEveryMs: null };

const ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

function interval(v: unknown, field: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 100 || v > 86_400_000) throw new CustodyConfigError(field, 'expected milliseconds from 100 to 86400000');
  return v;
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
  onlyKeys(root, ['http', 'database', 'tokens', 'chains', 'bridge', 'jobs'], '');

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
    onlyKeys(b, ['url', 'tokenFile', 'requesterId', 'requestKeyFile', 'deviceId', 'admin', 'depositGroup'], 'bridge');
    const file = (v: unknown, field: string) => {
      const f = optStr(v, field);
      return f === undefined ? undefined : resolve(baseDir, f);
    };
    let admin: BridgeConfig['admin'];
    if (b.admin !== undefined) {
      const a = obj(b.admin, 'bridge.admin');
      onlyKeys(a, ['id', 'tokenFile', 'requestKeyFile'], 'bridge.admin');
      admin = {
        id: str(a.id, 'bridge.admin.id', ID_RE),
        tokenFile: resolve(baseDir, str(a.tokenFile, 'bridge.admin.tokenFile')),
        requestKeyFile: file(a.requestKeyFile, 'bridge.admin.requestKeyFile'),
      };
    }
    bridge = {
      url: httpUrl(b.url, 'bridge.url'),
      tokenFile: file(b.tokenFile, 'bridge.tokenFile'),
      requesterId: b.requesterId === undefined ? 'custody' : str(b.requesterId, 'bridge.requesterId', ID_RE),
      requestKeyFile: file(b.requestKeyFile, 'bridge.requestKeyFile'),
      deviceId: b.deviceId === undefined ? undefined : str(b.deviceId, 'bridge.deviceId', /^[\x21-\x7e]{1,128}$/),
      admin,
      depositGroup: b.depositGroup === undefined ? 'deposit' : str(b.depositGroup, 'bridge.depositGroup', ID_RE),
    };
  }

  const j = obj(root.jobs ?? {}, 'jobs');
  onlyKeys(j, ['depositsEveryMs', 'reconcileEveryMs', 'sweepEveryMs'], 'jobs');
  const jobs: LedgerJobsConfig = {
    depositsEveryMs: interval(j.depositsEveryMs, 'jobs.depositsEveryMs', DEFAULT_LEDGER_JOBS.depositsEveryMs),
    reconcileEveryMs: interval(j.reconcileEveryMs, 'jobs.reconcileEveryMs', DEFAULT_LEDGER_JOBS.reconcileEveryMs),
    sweepEveryMs: j.sweepEveryMs === undefined || j.sweepEveryMs === null ? null : interval(j.sweepEveryMs, 'jobs.sweepEveryMs', 0),
  };

  return { http: { host, port }, database, tokens, chains, bridge, jobs };
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
