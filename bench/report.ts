// Renders benchmark results: a Markdown table and an SVG bar chart of throughput by concurrency.
import type { LedgerBenchResult } from './ledger.js';
import type { ReconcileBenchPoint } from './ledger-reconcile.js';
import type { LoadResult } from './stats.js';
import type { WithdrawalBenchResult } from './withdrawals.js';

export interface BenchResults {
  date: string;
  smoke: boolean;
  machine: { cpus: number; node: string };
  raw_sign_per_s: number;
  viem_sign_per_s: number;
  appliance_sign_per_s: number;
  e2e_sign_per_s: number;
  e2e_approvals_sign_per_s: number;
  e2e_p50_ms_c32: number;
  e2e_p99_ms_c32: number;
  policy_eval_p99_us: number;
  /** Withdrawals per second from request (W0) to signed (W5) through the orchestrator (best level). */
  withdrawals_per_s: number;
  /** CPU per signed transfer by process (µs), at the bridge level that signed fastest. */
  cpu_us_per_transfer: {
    concurrency: number;
    appliance: number;
    bridge: number;
    load: number;
    /** CPU of one signature in the raw measure (SoftHSM2 in the process): the token's own share of the appliance's figure. */
    raw_hsm_sign?: number;
  };
  /** The appliance's own time per stage of the signing path per signed transfer (µs), same level. */
  stages_us_per_transfer: Record<string, number>;
  /** Times each stage ran per signed transfer, same level (a per-commit stage shows the group's share). */
  stage_runs_per_transfer?: Record<string, number>;
  ratios: { e2e_over_raw: number; e2e_over_viem: number; appliance_over_raw: number; policy_p99_1m_over_10: number; withdrawals_over_e2e: number };
  targets: Record<string, { value: number; target: string; met: boolean }>;
  sweep: { appliance: LoadResult[]; e2e: LoadResult[]; e2e_approvals: LoadResult[] };
  scale: unknown;
  ledger: LedgerBenchResult;
  reconcile: ReconcileBenchPoint[];
  withdrawals: WithdrawalBenchResult;
}

/** What each stage of the appliance's signing path covers (appliance/stage-timers.ts). */
const STAGE_NOTES: Record<string, string> = {
  decode: 'frame, envelope and arguments decoded, transaction rebuilt, request hashed',
  policy: 'the pure evaluator (including approver signature checks)',
  reservation_commit: 'decision commit: request row, reservation, nonce guard (SQL, without its MACs)',
  hsm_sign: "the token's signing latency as the loop sees it, with the wait for a pool session and for the loop to take the answer (not CPU)",
  y_parity: 'low-s and recovery parity of the raw signature, checked against the key',
  audit_sign: 'the P-256 token signature of each audit entry (synchronous)',
  seal: "the checkpoint's HMAC in the token (row MACs are software HMACs under the row key the token derives)",
  response_commit: 'signed answer and its audit entry (SQL, without signature and MACs)',
  commit_flush: 'group transaction around them: BEGIN, savepoints, checkpoint row, COMMIT to the log (its fdatasync runs off the event loop)',
  anchor: "the token's state anchor rewritten after a commit",
  encode: 'signed transaction serialised, answer frame encoded',
};

function cpuRows(r: BenchResults): string[] {
  const levels = [...r.sweep.appliance, ...r.sweep.e2e, ...r.sweep.e2e_approvals].filter((l) => l.cpu);
  if (levels.length === 0) return [];
  const c = r.cpu_us_per_transfer;
  // In the order a transfer goes through them (the appliance's answer comes in canonical key order).
  const measured = r.stages_us_per_transfer ?? {};
  const stages = [...Object.keys(STAGE_NOTES), ...Object.keys(measured).filter((k) => !(k in STAGE_NOTES))].filter((k) => k in measured).map((k) => [k, measured[k]] as const);
  return [
    '',
    `CPU per signed transfer, by process (µs; process.cpuUsage over each level divided by the transfers it signed). The appliance's own time per stage of its signing path is at the bridge level that signed fastest (concurrency ${c.concurrency}): appliance ${c.appliance} µs, bridge ${c.bridge} µs, load generator ${c.load} µs.${c.raw_hsm_sign ? ` The appliance's figure includes the token's own work (SoftHSM2 runs in its process): one secp256k1 signature cost ${c.raw_hsm_sign} µs of CPU in the raw measure, and each transfer also makes a P-256 audit signature and several HMACs in the token.` : ''}`,
    '',
    '| path | concurrency | appliance µs | bridge µs | load generator µs |',
    '|---|---|---|---|---|',
    ...levels.map((l) => `| ${l.mode} | ${l.concurrency} | ${l.cpu?.appliance_us ?? '–'} | ${l.cpu?.bridge_us ?? '–'} | ${l.load_cpu_us ?? '–'} |`),
    '',
    '| appliance stage (own time) | µs per transfer | runs per transfer | what it covers |',
    '|---|---|---|---|',
    ...stages.map(([k, v]) => `| ${k} | ${v} | ${r.stage_runs_per_transfer?.[k] ?? '–'} | ${STAGE_NOTES[k] ?? ''} |`),
  ];
}

function withdrawalRows(r: BenchResults): string[] {
  const w = r.withdrawals;
  if (w === undefined) return [];
  return [
    '',
    `Withdrawals through the orchestrator (${w.asset} transfers, none above the approval tier: W3 is the moment each is signed; ${w.workers} worker loops, ${w.endpoints} JSON-RPC endpoints, ledger and orchestrator on ${w.backend === 'postgres' ? 'PostgreSQL' : w.backend}). Withdrawals W0 → W5 per second / end-to-end signed transfers per second through the bridge (same run): ${r.ratios.withdrawals_over_e2e}.`,
    '',
    '| concurrency | withdrawals | W0 → W5 /s | W0 → W3 p50 / p99 ms | W3 → W6 p50 / p99 ms | W0 → W1 p50 / p99 ms | W4 → W5 p50 / p99 ms | seconds |',
    '|---|---|---|---|---|---|---|---|',
    ...w.levels.map(
      (l) =>
        `| ${l.concurrency} | ${l.broadcasted} / ${l.withdrawals} | ${l.per_s} | ${l.stages.w0_w3.p50_ms} / ${l.stages.w0_w3.p99_ms} | ${l.stages.w3_w6.p50_ms} / ${l.stages.w3_w6.p99_ms} | ${l.stages.w0_w1.p50_ms} / ${l.stages.w0_w1.p99_ms} | ${l.stages.w4_w5.p50_ms} / ${l.stages.w4_w5.p99_ms} | ${l.seconds} |`,
    ),
    '',
    '| withdrawal measure (seed 002 service level) | concurrency | p50 ms | p99 ms | target (p99) ms | met |',
    '|---|---|---|---|---|---|',
    ...w.slo.map((s) => `| ${s.measure} | ${s.concurrency} | ${s.p50_ms} | ${s.p99_ms} | ≤ ${s.target_ms} | ${s.met ? 'yes' : 'no'} |`),
  ];
}

export function markdownTable(r: BenchResults): string {
  const rows = [
    '| measure | value |',
    '|---|---|',
    `| raw SoftHSM2 secp256k1 signatures/s (pkcs11js, session pool) | ${r.raw_sign_per_s} |`,
    `| viem local-account signTransaction/s (hot wallet) | ${r.viem_sign_per_s} |`,
    `| appliance signed EIP-1559 transfers/s (socket, best concurrency) | ${r.appliance_sign_per_s} |`,
    `| end-to-end signed transfers/s through the HTTP bridge (best concurrency) | ${r.e2e_sign_per_s} |`,
    `| end-to-end with 2 approver signatures per transfer /s | ${r.e2e_approvals_sign_per_s} |`,
    `| end-to-end p50 / p99 latency at concurrency 32 (ms) | ${r.e2e_p50_ms_c32} / ${r.e2e_p99_ms_c32} |`,
    `| policy evaluation p99 at 100k whitelist entries, 1M window records (µs) | ${r.policy_eval_p99_us} |`,
    `| withdrawals/s from request (W0) to signed (W5) through the orchestrator (best concurrency) | ${r.withdrawals_per_s ?? '–'} |`,
    '',
    '| ratio (same run) | value | target | met |',
    '|---|---|---|---|',
    ...Object.entries(r.targets).map(([k, t]) => `| ${k} | ${t.value} | ${t.target} | ${t.met ? 'yes' : 'no'} |`),
    '',
    '| path | concurrency | transfers/s | p50 ms | p99 ms |',
    '|---|---|---|---|---|',
    ...[...r.sweep.appliance, ...r.sweep.e2e, ...r.sweep.e2e_approvals].map((l) => `| ${l.mode} | ${l.concurrency} | ${l.per_s} | ${l.p50_ms} | ${l.p99_ms} |`),
    ...cpuRows(r),
    '',
    '| ledger backend | concurrency | postings/s |',
    '|---|---|---|',
    ...r.ledger.postings.map((p) => `| ${p.backend} | ${p.concurrency} | ${p.postings_per_s} |`),
    '',
    '| ledger backend | journal entries | replay (s) |',
    '|---|---|---|',
    ...r.ledger.replay.map((p) => `| ${p.backend} | ${p.entries} | ${p.replay_s} |`),
    '',
    `Ledger ratios (same run): PostgreSQL / PGlite postings per second (best concurrency) ${r.ledger.ratios.postgres_over_pglite_postings}; PostgreSQL / PGlite replay time ${r.ledger.ratios.postgres_over_pglite_replay_time}.`,
    '',
    '| reconciliation backend | custody addresses | journal entries | one run at the final block (s) | breaks |',
    '|---|---|---|---|---|',
    ...(r.reconcile ?? []).map((p) => `| ${p.backend} | ${p.addresses} | ${p.entries} | ${p.reconcile_s} | ${p.breaks} |`),
    ...withdrawalRows(r),
  ];
  return rows.join('\n') + '\n';
}

export function svgChart(r: BenchResults): string {
  const bars: { label: string; value: number; color: string }[] = [
    { label: 'raw HSM', value: r.raw_sign_per_s, color: '#555' },
    { label: 'viem', value: r.viem_sign_per_s, color: '#999' },
    ...r.sweep.appliance.map((l) => ({ label: `appliance c${l.concurrency}`, value: l.per_s, color: '#2b6cb0' })),
    ...r.sweep.e2e.map((l) => ({ label: `e2e c${l.concurrency}`, value: l.per_s, color: '#2f855a' })),
    ...r.sweep.e2e_approvals.map((l) => ({ label: `approvals c${l.concurrency}`, value: l.per_s, color: '#c05621' })),
  ];
  const max = Math.max(1, ...bars.map((b) => b.value));
  const rowH = 22;
  const width = 640;
  const left = 150;
  const h = bars.length * rowH + 40;
  const esc = (s: string) => s.replace(/[<&>]/g, (c) => ({ '<': '&lt;', '&': '&amp;', '>': '&gt;' })[c] ?? c);
  const rows = bars.map((b, i) => {
    const w = Math.round(((width - left - 80) * b.value) / max);
    const y = 30 + i * rowH;
    return `<text x="${left - 8}" y="${y + 14}" text-anchor="end">${esc(b.label)}</text><rect x="${left}" y="${y}" width="${w}" height="${rowH - 6}" fill="${b.color}"/><text x="${left + w + 6}" y="${y + 14}">${b.value}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}" font-family="sans-serif" font-size="12"><text x="10" y="18" font-weight="bold">Signatures per second (one run, ${esc(r.date)})</text>${rows.join('')}</svg>\n`;
}
