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
  /** The orchestrator's worker, a periodic job of the service; absent: withdrawals are accepted but not worked. */
  withdrawals: WithdrawalsConfig | undefined;
}

/** One chain withdrawals are sent on (docs/custody-service.md "Withdrawals"). */
export interface WithdrawalChainConfig {
  chainId: bigint;
  /** RPC endpoints a signed attempt goes to; default: the chain's rpcUrl. */
  endpoints: string[];
  /** Endpoints that must agree; absent: a majority. */
  quorum: number | undefined;
  hotKeyId: string;
  hotAddress: `0x${string}`;
  /** The policy's fee cap of the chain: gas limit and worst-case fee in wei. */
  feeCap: { gasLimit: bigint; maxFeeWei: bigint };
  gasLimits: { native: bigint; erc20: bigint };
  inclusionDeadlineBlocks: number;
}

export interface WithdrawalsConfig {
  /** The worker's name in transition logs and leases. */
  worker: string;
  chains: WithdrawalChainConfig[];
  /** W1 checks: 24-hour limits and travel-rule thresholds per asset id, and a risk list file (one address a line). */
  checks: { dailyLimits: Record<string, bigint>; travelRuleAbove: Record<string, bigint>; riskListFile: string | undefined };
  routes: { expired: 'bump' | 'operator'; maxAutomatic: number; maxInconsistentRounds: number };
  /** Lifetime of a request stamp (default: the stamper's). */
  stampTtlSeconds: number | undefined;
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
  /** A round of the withdrawal worker (when `withdrawals` is configured; default 2000). */
  withdrawalsEveryMs?: number;
}

export const DEFAULT_LEDGER_JOBS: LedgerJobsConfig = { depositsEveryMs: 4000, reconcileEveryMs: 300_000, sweepEveryMs: null, withdrawalsEveryMs: 2000 };

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
  onlyKeys(root, ['http', 'database', 'tokens', 'chains', 'bridge', 'jobs', 'withdrawals'], '');

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
    onlyKeys(o, ['chainId', 'rpcUrl', 'finality', 'tokens', 'hdDeposits'], f);
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
    if (o.hdDeposits === undefined) return { chainId, rpcUrl, finality, tokens: tokenList };
    const hd = obj(o.hdDeposits, `${f}.hdDeposits`);
    onlyKeys(hd, ['walletId', 'account'], `${f}.hdDeposits`);
    const hdDeposits = { walletId: str(hd.walletId, `${f}.hdDeposits.walletId`, ID_RE), account: uint(hd.account, `${f}.hdDeposits.account`, 0x7fff_ffff) };
    return { chainId, rpcUrl, finality, tokens: tokenList, hdDeposits };
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

  for (const [i, c] of chains.entries()) {
    if (c.hdDeposits !== undefined && bridge?.admin === undefined)
      throw new CustodyConfigError(`chains[${i}].hdDeposits`, 'HD deposit addresses need bridge.admin (it reads the xpub and derives a key before its first sweep)');
  }

  const j = obj(root.jobs ?? {}, 'jobs');
  onlyKeys(j, ['depositsEveryMs', 'reconcileEveryMs', 'sweepEveryMs', 'withdrawalsEveryMs'], 'jobs');
  const jobs: LedgerJobsConfig = {
    depositsEveryMs: interval(j.depositsEveryMs, 'jobs.depositsEveryMs', DEFAULT_LEDGER_JOBS.depositsEveryMs),
    reconcileEveryMs: interval(j.reconcileEveryMs, 'jobs.reconcileEveryMs', DEFAULT_LEDGER_JOBS.reconcileEveryMs),
    sweepEveryMs: j.sweepEveryMs === undefined || j.sweepEveryMs === null ? null : interval(j.sweepEveryMs, 'jobs.sweepEveryMs', 0),
    withdrawalsEveryMs: interval(j.withdrawalsEveryMs, 'jobs.withdrawalsEveryMs', 2000),
  };

  const withdrawals = root.withdrawals === undefined ? undefined : parseWithdrawals(root.withdrawals, chains, bridge, baseDir);
  return { http: { host, port }, database, tokens, chains, bridge, jobs, withdrawals };
}

function uint(v: unknown, field: string, max = Number.MAX_SAFE_INTEGER, min = 0): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw new CustodyConfigError(field, `expected an integer from ${min} to ${max}`);
  return v;
}

function wei(v: unknown, field: string): bigint {
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
  return BigInt(str(s, field, /^(0|[1-9][0-9]{0,76})$/));
}

function perAsset(v: unknown, field: string): Record<string, bigint> {
  const o = obj(v ?? {}, field);
  const out: Record<string, bigint> = {};
  for (const [asset, amount] of Object.entries(o)) {
    if (!/^[1-9][0-9]{0,19}:(native|erc20:0x[0-9a-f]{40})$/.test(asset))
      throw new CustodyConfigError(`${field}.${asset}`, 'expected an asset id: "<chainId>:native" or "<chainId>:erc20:0x<token, lower case>"');
    out[asset] = wei(amount, `${field}.${asset}`);
  }
  return out;
}

/** The `withdrawals` section: needs the bridge (the service's requester signs through it) and each chain in `chains`. */
function parseWithdrawals(raw: unknown, chains: ChainConfig[], bridge: BridgeConfig | undefined, baseDir: string): WithdrawalsConfig {
  const w = obj(raw, 'withdrawals');
  onlyKeys(w, ['worker', 'chains', 'checks', 'routes', 'stampTtlSeconds'], 'withdrawals');
  if (bridge === undefined) throw new CustodyConfigError('withdrawals', 'the worker asks the bridge to sign: configure bridge.url and bridge.tokenFile');
  if (bridge.tokenFile === undefined) throw new CustodyConfigError('bridge.tokenFile', 'the withdrawal worker needs the requester token file');
  if (!Array.isArray(w.chains) || w.chains.length === 0) throw new CustodyConfigError('withdrawals.chains', 'expected a non-empty array');
  const list = (w.chains as unknown[]).map((c, i): WithdrawalChainConfig => {
    const f = `withdrawals.chains[${i}]`;
    const o = obj(c, f);
    onlyKeys(o, ['chainId', 'endpoints', 'quorum', 'hotKeyId', 'hotAddress', 'feeCap', 'gasLimits', 'inclusionDeadlineBlocks'], f);
    const idText = typeof o.chainId === 'number' && Number.isSafeInteger(o.chainId) ? String(o.chainId) : o.chainId;
    const chainId = BigInt(str(idText, `${f}.chainId`, /^[1-9][0-9]{0,19}$/));
    const chain = chains.find((x) => x.chainId === chainId);
    if (chain === undefined) throw new CustodyConfigError(`${f}.chainId`, `chain ${chainId} is not in "chains" (its finality and RPC come from there)`);
    if (o.endpoints !== undefined && (!Array.isArray(o.endpoints) || o.endpoints.length === 0)) throw new CustodyConfigError(`${f}.endpoints`, 'expected a non-empty array of URLs');
    const endpoints = o.endpoints === undefined ? [chain.rpcUrl] : (o.endpoints as unknown[]).map((u, j) => httpUrl(u, `${f}.endpoints[${j}]`));
    const quorum = o.quorum === undefined ? undefined : uint(o.quorum, `${f}.quorum`, endpoints.length, 1);
    const fee = obj(o.feeCap, `${f}.feeCap`);
    onlyKeys(fee, ['gasLimit', 'maxFeeWei'], `${f}.feeCap`);
    const gas = obj(o.gasLimits ?? {}, `${f}.gasLimits`);
    onlyKeys(gas, ['native', 'erc20'], `${f}.gasLimits`);
    const feeCap = { gasLimit: wei(fee.gasLimit, `${f}.feeCap.gasLimit`), maxFeeWei: wei(fee.maxFeeWei, `${f}.feeCap.maxFeeWei`) };
    if (feeCap.gasLimit === 0n) throw new CustodyConfigError(`${f}.feeCap.gasLimit`, 'expected a positive gas limit');
    return {
      chainId,
      endpoints,
      quorum,
      hotKeyId: str(o.hotKeyId, `${f}.hotKeyId`, /^[\x21-\x7e]{1,128}$/),
      hotAddress: str(o.hotAddress, `${f}.hotAddress`, /^0x[0-9a-fA-F]{40}$/) as `0x${string}`,
      feeCap,
      gasLimits: { native: gas.native === undefined ? 21_000n : wei(gas.native, `${f}.gasLimits.native`), erc20: gas.erc20 === undefined ? 100_000n : wei(gas.erc20, `${f}.gasLimits.erc20`) },
      inclusionDeadlineBlocks: o.inclusionDeadlineBlocks === undefined ? 20 : uint(o.inclusionDeadlineBlocks, `${f}.inclusionDeadlineBlocks`, 100_000, 1),
    };
  });
  for (const [i, c] of list.entries()) if (list.findIndex((x) => x.chainId === c.chainId) !== i) throw new CustodyConfigError(`withdrawals.chains[${i}].chainId`, 'listed twice');
  const k = obj(w.checks ?? {}, 'withdrawals.checks');
  onlyKeys(k, ['dailyLimits', 'travelRuleAbove', 'riskListFile'], 'withdrawals.checks');
  const riskListFile = optStr(k.riskListFile, 'withdrawals.checks.riskListFile');
  const r = obj(w.routes ?? {}, 'withdrawals.routes');
  onlyKeys(r, ['expired', 'maxAutomatic', 'maxInconsistentRounds'], 'withdrawals.routes');
  if (r.expired !== undefined && r.expired !== 'bump' && r.expired !== 'operator') throw new CustodyConfigError('withdrawals.routes.expired', 'expected bump or operator');
  return {
    worker: w.worker === undefined ? 'custody-worker' : str(w.worker, 'withdrawals.worker', ID_RE),
    chains: list,
    checks: {
      dailyLimits: perAsset(k.dailyLimits, 'withdrawals.checks.dailyLimits'),
      travelRuleAbove: perAsset(k.travelRuleAbove, 'withdrawals.checks.travelRuleAbove'),
      riskListFile: riskListFile === undefined ? undefined : resolve(baseDir, riskListFile),
    },
    routes: {
      expired: (r.expired as 'bump' | 'operator' | undefined) ?? 'bump',
      maxAutomatic: r.maxAutomatic === undefined ? 5 : uint(r.maxAutomatic, 'withdrawals.routes.maxAutomatic', 1000),
      maxInconsistentRounds: r.maxInconsistentRounds === undefined ? 3 : uint(r.maxInconsistentRounds, 'withdrawals.routes.maxInconsistentRounds', 1000, 1),
    },
    stampTtlSeconds: w.stampTtlSeconds === undefined ? undefined : uint(w.stampTtlSeconds, 'withdrawals.stampTtlSeconds', 86_400, 10),
  };
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
