// Renders benchmark results: a Markdown table and an SVG bar chart of throughput by concurrency.
import type { LedgerBenchResult } from './ledger.js';
import type { ReconcileBenchPoint } from './ledger-reconcile.js';
import type { LoadResult } from './stats.js';

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
  ratios: { e2e_over_raw: number; e2e_over_viem: number; appliance_over_raw: number; policy_p99_1m_over_10: number };
  targets: Record<string, { value: number; target: string; met: boolean }>;
  sweep: { appliance: LoadResult[]; e2e: LoadResult[]; e2e_approvals: LoadResult[] };
  scale: unknown;
  ledger: LedgerBenchResult;
  reconcile: ReconcileBenchPoint[];
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
    '',
    '| ratio (same run) | value | target | met |',
    '|---|---|---|---|',
    ...Object.entries(r.targets).map(([k, t]) => `| ${k} | ${t.value} | ${t.target} | ${t.met ? 'yes' : 'no'} |`),
    '',
    '| path | concurrency | transfers/s | p50 ms | p99 ms |',
    '|---|---|---|---|---|',
    ...[...r.sweep.appliance, ...r.sweep.e2e, ...r.sweep.e2e_approvals].map((l) => `| ${l.mode} | ${l.concurrency} | ${l.per_s} | ${l.p50_ms} | ${l.p99_ms} |`),
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
