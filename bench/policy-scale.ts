// Scale sweep of policy evaluation: p50/p99 latency of one `evaluate()` call on the real state
// path (file-backed better-sqlite3 opened by openDb, WhitelistStore, SpendLedger, the StateView
// that appliance/device.ts builds; inside a transaction, as the device evaluates inside its group commit) with 10, 10k, 100k and 1M whitelist entries × 10k and 1M
// rolling-window records. The sizes span five decades so that growth shows: an indexed look-up
// (B-tree, logarithmic) moves by a page level or two, while a scan over the window or a load of the
// whole whitelist per request would grow 100 000×. Targets (issue 17): p99 ≤ 50 µs at
// 100k entries and 1M records, and p99 at 1M entries ≤ 1.5× p99 at 10 entries. Ratios are what we
// quote, so all points are measured interleaved in rounds: a noisy neighbour on the machine hits
// every point alike instead of one.
//
// Each point has its own database file: the whitelist grows progressively (10 → 10k → 100k → 1M)
// in one database per window size, and a file copy is taken at each size after a WAL checkpoint,
// so rows are loaded once. Smoke mode (BENCH_SMOKE=1): whitelist 10 and 1k, window 1k, few samples.
// Rows are loaded through the stores and sealed as on the device (docs/reliability.md "Sealed state"), with a
// software HMAC key standing in for the token's; the measured reads check each row's MAC (a row
// read before is recognised from memory, as on the device).
import { copyFileSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { p256 } from '@noble/curves/nist.js';
import { decodeCanonical } from '../protocol/cbor.js';
import { evaluate, type EvaluationRequest } from '../firmware-policy/evaluate.js';
import { encodePolicy, nativeAssetId, parsePolicy, type PolicyDocument } from '../firmware-policy/policy-document.js';
import type { StateView } from '../firmware-policy/state-view.js';
import type { TransferIntent } from '../firmware-policy/intent.js';
import { openDb, type Db } from '../appliance/state/db.js';
import { SpendLedger } from '../appliance/state/spend-ledger.js';
import { WhitelistStore } from '../appliance/state/whitelist-store.js';
import { StateSeal } from '../appliance/state/state-seal.js';
import { softwareSealKey } from '../appliance/state/software-seal-key.js';

export interface ScalePoint {
  whitelistEntries: number;
  windowRecords: number;
  p50_us: number;
  p99_us: number;
  samples: number;
}

export interface PolicyScaleResult {
  points: ScalePoint[];
  /** p99 at 100k whitelist entries and 1M window records (smoke: the largest point measured). */
  policy_eval_p99_us: number;
  /** p99 at the largest whitelist over p99 at the smallest, at the largest window size (full: 1M vs 10). */
  p99_ratio_1m_vs_10: number;
}

export interface PolicyScaleOptions {
  smoke: boolean;
  progress: (m: string) => void;
}

interface Plan {
  whitelistSizes: number[];
  windowSizes: number[];
  samples: number;
  warmup: number;
  rounds: number;
}

const FULL: Plan = { whitelistSizes: [10, 10_000, 100_000, 1_000_000], windowSizes: [10_000, 1_000_000], samples: 20_000, warmup: 2_000, rounds: 40 };
const SMOKE: Plan = { whitelistSizes: [10, 1_000], windowSizes: [1_000], samples: 500, warmup: 100, rounds: 2 };

const NOW = 1_700_000_000;
const SPREAD_SECONDS = 48 * 3600;
const CHAIN = 1n;
const ASSET = nativeAssetId(CHAIN);
const GROUP = 'hot';
const KEY_ID = 'key-hot-1';
const ETH = 10n ** 18n;
/** Measured transfer: under the per-tx limit and below the approval tier, so the decision is allow. */
const AMOUNT = ETH / 1_000n;
/** How many whitelisted recipients the measured requests cycle through (index paths differ). */
const RECIPIENT_POOL = 64;

/** mulberry32: a small seeded generator, so every run loads the same rows. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** `count` pseudo-random 20-byte addresses, address i at bytes [20i, 20i + 20). */
function addresses(count: number, seed: number): Buffer {
  const next = prng(seed);
  const buf = Buffer.alloc(count * 20);
  for (let o = 0; o < buf.length; o += 4) buf.writeUInt32LE(next(), o);
  return buf;
}
const addressAt = (all: Buffer, i: number) => all.subarray(i * 20, i * 20 + 20);

/** One group with whitelistRequired, a per-tx limit, 1 h and 24 h windows, one approval tier; round-tripped through the canonical codec as PolicyStore does. */
function benchPolicy(): PolicyDocument {
  const pub = (seed: number) => p256.getPublicKey(p256.keygen(new Uint8Array(48).fill(seed)).secretKey, false);
  const doc: PolicyDocument = {
    version: 1,
    parentHash: null,
    deviceId: 'dev-bench-1',
    defaultHoldSeconds: 172_800,
    admins: [{ id: 'admin-1', alg: 'ES256', publicKey: pub(1) }],
    adminQuorum: 1,
    approvers: [
      { id: 'alice', alg: 'ES256', publicKey: pub(2) },
      { id: 'bob', alg: 'ES256', publicKey: pub(3) },
    ],
    requesters: [{ id: 'orchestrator' }],
    groups: {
      [GROUP]: {
        chains: [CHAIN],
        whitelistRequired: true,
        holdSeconds: null,
        assets: {
          // The window limits are high enough that a million loaded records leave room for the
          // measured transfer: the full allow path runs (a deny costs the same look-ups).
          [ASSET]: {
            perTxMax: 10n * ETH,
            windows: [
              { seconds: 3_600, maxAmount: 1_000_000n * ETH, maxCount: 10_000_000 },
              { seconds: 86_400, maxAmount: 10_000_000n * ETH, maxCount: 100_000_000 },
            ],
            approvalTiers: [{ above: ETH, required: 2 }],
          },
        },
      },
    },
  };
  return parsePolicy(decodeCanonical(encodePolicy(doc)));
}

/** One seal key for every database of the run (the device has one in its token). */
const SEAL_KEY = softwareSealKey();

function sealOf(db: Db): StateSeal {
  const seal = new StateSeal(db, 'dev-bench-1', () => NOW);
  seal.attachKey(SEAL_KEY);
  return seal;
}

/** The same view that appliance/device.ts builds as `dev.view`. */
function viewOf(db: Db): StateView {
  const seal = sealOf(db);
  const whitelist = new WhitelistStore(db, seal);
  const spend = new SpendLedger(db, seal);
  return {
    whitelistEntry: (group, chainId, address) => whitelist.entry(group, chainId, address),
    windowUsage: (keyId, asset, since) => spend.usage(keyId, asset, since),
    windowUsages: (keyId, asset, sinces) => spend.usages(keyId, asset, sinces),
  };
}

/** `records` spend rows of KEY_ID over the past 48 h, through SpendLedger.reserve (running totals and MACs as on the device). */
function loadWindow(db: Db, records: number): void {
  const seal = sealOf(db);
  const ledger = new SpendLedger(db, seal);
  const next = prng(0x5eed);
  let cum = 0n;
  seal.transaction(() => {
    seal.initialize();
    for (let i = 0; i < records - 1; i++) {
      const at = NOW - SPREAD_SECONDS + Math.floor((i * SPREAD_SECONDS) / records);
      const amount = BigInt(next()) * 100_000n + 1_000_000_000n; // ~1e9 … 4.3e14 wei
      cum += amount;
      ledger.reserve(KEY_ID, ASSET, amount, at, `bench-${i}`);
    }
    ledger.reserve(KEY_ID, ASSET, 1_000_000_000n, NOW - 1, 'bench-last');
  });
  const expected = cum + 1_000_000_000n;
  const all = ledger.usage(KEY_ID, ASSET, 0);
  if (all.amount !== expected || all.count !== records) throw new Error(`bench: spend running totals are off (${all.amount}/${all.count})`);
}

/** Grows the whitelist of `db` from `from` to `to` rows (addresses `from`…`to - 1` of `all`), through WhitelistStore.put. */
function growWhitelist(db: Db, all: Buffer, from: number, to: number): void {
  const activeAt = NOW - 3 * 86_400;
  const seal = sealOf(db);
  const store = new WhitelistStore(db, seal);
  seal.transaction(() => {
    for (let i = from; i < to; i++) {
      const label = i === 0 ? 'known recipient' : `bench ${i}`;
      store.put({ group: GROUP, chainId: CHAIN, address: new Uint8Array(addressAt(all, i)), label, activeAt, proposalId: `bench-${i}`, addedAt: activeAt - 172_800 });
    }
  });
}

interface PointState {
  whitelistEntries: number;
  windowRecords: number;
  db: Db;
  view: StateView;
  requests: EvaluationRequest[];
  samples: Float64Array;
  filled: number;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: Float64Array, p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

function requestsFor(all: Buffer, whitelistEntries: number): EvaluationRequest[] {
  const n = Math.min(RECIPIENT_POOL, whitelistEntries);
  const reqs: EvaluationRequest[] = [];
  for (let k = 0; k < n; k++) {
    const row = Math.floor((k * whitelistEntries) / n); // spread over the whole load, row 0 first
    const intent: TransferIntent = {
      kind: 'evm-transfer',
      keyId: KEY_ID,
      chainId: CHAIN,
      nonce: BigInt(k),
      asset: ASSET,
      to: new Uint8Array(addressAt(all, row)),
      amount: AMOUNT,
      data: new Uint8Array(0),
      maxFee: 21_000n * 30_000_000_000n,
    };
    reqs.push({ intent, keyGroup: GROUP, requester: 'orchestrator' });
  }
  return reqs;
}

export async function runPolicyScale(opts: PolicyScaleOptions): Promise<PolicyScaleResult> {
  const plan = opts.smoke ? SMOKE : FULL;
  const { progress } = opts;
  const maxEntries = Math.max(...plan.whitelistSizes);
  const dir = mkdtempSync(join(tmpdir(), 'policy-scale-'));
  const points: PointState[] = [];
  const loaders: Db[] = [];
  try {
    const all = addresses(maxEntries, 0xadd2);
    const policy = benchPolicy();

    // ---- load: one database per window size, the whitelist grown in it, a copy per point ----
    const files: { whitelistEntries: number; windowRecords: number; path: string }[] = [];
    for (const windowRecords of plan.windowSizes) {
      const base = join(dir, `window-${windowRecords}.db`);
      const loader = openDb(base);
      loaders.push(loader);
      loader.pragma('cache_size = -262144'); // loading only; measuring connections use openDb's defaults
      let t = performance.now();
      loadWindow(loader, windowRecords);
      progress(`window ${windowRecords} records loaded in ${Math.round(performance.now() - t)} ms`);
      let have = 0;
      for (const [i, size] of plan.whitelistSizes.entries()) {
        t = performance.now();
        growWhitelist(loader, all, have, size);
        have = size;
        loader.pragma('wal_checkpoint(TRUNCATE)');
        const path = join(dir, `wl-${size}-window-${windowRecords}.db`);
        if (i < plan.whitelistSizes.length - 1) copyFileSync(base, path);
        else {
          loader.close();
          renameSync(base, path);
        }
        files.push({ whitelistEntries: size, windowRecords, path });
        progress(`window ${windowRecords}: whitelist at ${size} entries (${Math.round(performance.now() - t)} ms)`);
      }
    }

    // ---- open each point as the device opens its state, and check the decision is allow ----
    const perRound = Math.ceil(plan.samples / plan.rounds);
    for (const f of files) {
      const db = openDb(f.path);
      const view = viewOf(db);
      const requests = requestsFor(all, f.whitelistEntries);
      points.push({ ...f, db, view, requests, samples: new Float64Array(perRound * plan.rounds), filled: 0 });
      for (const req of requests) {
        const d = evaluate(policy, view, req, [], NOW);
        if (d.outcome !== 'allow') throw new Error(`bench: expected allow at ${f.whitelistEntries}/${f.windowRecords}, got ${d.outcome}: ${d.reasons.map((r) => r.code).join(', ')}`);
      }
    }

    // ---- measure: warm-up, then rounds that visit every point in turn ----
    for (const p of points) {
      for (let i = 0; i < plan.warmup; i++) evaluate(policy, p.view, p.requests[i % p.requests.length]!, [], NOW);
    }
    for (let r = 0; r < plan.rounds; r++) {
      for (const p of points) {
        const reqs = p.requests;
        // The device evaluates inside its group commit's transaction (appliance/signing-flow.ts), so its
        // reads never open a read transaction of their own: the measured calls run inside one too.
        p.db.exec('BEGIN');
        for (let i = 0; i < 50; i++) evaluate(policy, p.view, reqs[i % reqs.length]!, [], NOW); // re-warm after switching files
        for (let i = 0; i < perRound; i++) {
          const req = reqs[(p.filled + i) % reqs.length]!;
          const t0 = process.hrtime.bigint();
          evaluate(policy, p.view, req, [], NOW);
          const t1 = process.hrtime.bigint();
          p.samples[p.filled + i] = Number(t1 - t0) / 1_000;
        }
        p.db.exec('COMMIT');
        p.filled += perRound;
      }
      if ((r + 1) % Math.ceil(plan.rounds / 4) === 0 || r + 1 === plan.rounds) progress(`round ${r + 1}/${plan.rounds} measured (${perRound} samples per point per round)`);
    }

    const result: ScalePoint[] = points.map((p) => {
      const sorted = p.samples.slice(0, p.filled).sort();
      const point = { whitelistEntries: p.whitelistEntries, windowRecords: p.windowRecords, p50_us: round1(percentile(sorted, 0.5)), p99_us: round1(percentile(sorted, 0.99)), samples: p.filled };
      progress(`whitelist ${point.whitelistEntries}, window ${point.windowRecords}: p50 ${point.p50_us} µs, p99 ${point.p99_us} µs`);
      return point;
    });

    const at = (wl: number, win: number) => result.find((x) => x.whitelistEntries === wl && x.windowRecords === win);
    const maxWindow = Math.max(...plan.windowSizes);
    const minEntries = Math.min(...plan.whitelistSizes);
    const headline = at(opts.smoke ? maxEntries : 100_000, maxWindow);
    const big = at(maxEntries, maxWindow);
    const small = at(minEntries, maxWindow);
    if (!headline || !big || !small) throw new Error('bench: a scale point is missing');
    return {
      points: result,
      policy_eval_p99_us: headline.p99_us,
      p99_ratio_1m_vs_10: Math.round((big.p99_us / small.p99_us) * 100) / 100,
    };
  } finally {
    for (const db of [...loaders, ...points.map((p) => p.db)]) if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  const smoke = process.env.BENCH_SMOKE === '1';
  const started = performance.now();
  const result = await runPolicyScale({ smoke, progress: (m) => process.stderr.write(`policy-scale: ${m}\n`) });
  process.stderr.write(`policy-scale: done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
