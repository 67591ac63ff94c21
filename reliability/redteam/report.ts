// The red-team report: one aligned row per scenario (#, attack, expected, result, audit seq), the
// reasons of every scenario that was not blocked, and the last line `scenarios: N, blocked: B, logged: L`.
// Pure formatting, so a unit test pins it down (test/reliability/redteam/report.test.ts).

export interface ScenarioResult {
  /** Scenario number as the issue names it: "1", "4a", … */
  id: string;
  attack: string;
  expected: string;
  result: string;
  /**
   * Where the refusal was recorded: an audit entry's seq (a number), or for refusals that never
   * reach a command handler, the other record: "oplog" (a structured appliance log line) or an
   * OS refusal such as "os:EACCES". Null when nothing recorded it.
   */
  auditSeq: number | string | null;
  /** No signature and no state change came of the attack, and it got the expected typed refusal. */
  blocked: boolean;
  /** The appliance (or the OS) recorded the refusal, as `auditSeq` says. */
  logged: boolean;
  /** Set when the scenario cannot run here (e.g. it needs root): counted in N, never as blocked. */
  skipped?: string;
  /** The checks that failed, when not blocked (or not logged). */
  failures?: string[];
}

const HEADERS = ['#', 'attack', 'expected', 'result', 'audit seq'] as const;

/** The record column: "audit #57", "oplog", "os:EACCES"; "-" when there is none. */
export function recordLabel(r: Pick<ScenarioResult, 'auditSeq' | 'logged' | 'skipped'>): string {
  if (r.skipped !== undefined) return '-';
  const where = typeof r.auditSeq === 'number' ? `audit #${r.auditSeq}` : (r.auditSeq ?? '-');
  return r.logged ? where : `NOT LOGGED${where === '-' ? '' : ` (${where})`}`;
}

/** The result column: the verdict first, then what happened. */
export function resultCell(r: Pick<ScenarioResult, 'result' | 'blocked' | 'skipped'>): string {
  if (r.skipped !== undefined) return `skipped: ${r.skipped}`;
  return `${r.blocked ? 'blocked' : 'NOT BLOCKED'}: ${r.result}`;
}

/** The table, header and separator first; columns padded to their widest cell. */
export function formatTable(rows: readonly ScenarioResult[]): string {
  const cells = rows.map((r) => [r.id, r.attack, r.expected, resultCell(r), recordLabel(r)]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]!))).join(' | ');
  return [line(HEADERS), widths.map((w) => '-'.repeat(w)).join('-|-'), ...cells.map(line)].join('\n') + '\n';
}

/** Scenarios that ran and were not blocked: each makes the run fail. */
export function notBlocked(rows: readonly ScenarioResult[]): ScenarioResult[] {
  return rows.filter((r) => r.skipped === undefined && !r.blocked);
}

/** One line per scenario not blocked or not logged, saying why. */
export function formatFailures(rows: readonly ScenarioResult[]): string {
  const out: string[] = [];
  for (const r of rows) {
    if (r.skipped !== undefined || (r.blocked && r.logged)) continue;
    const what = r.blocked ? 'not logged' : 'NOT BLOCKED';
    const why = r.failures && r.failures.length > 0 ? r.failures.join('; ') : r.result;
    out.push(`${what}: #${r.id} ${r.attack}: ${why}`);
  }
  return out.length > 0 ? out.join('\n') + '\n' : '';
}

/** The last line of the run. */
export function summaryLine(rows: readonly ScenarioResult[]): string {
  const ran = rows.filter((r) => r.skipped === undefined);
  return `scenarios: ${rows.length}, blocked: ${ran.filter((r) => r.blocked).length}, logged: ${ran.filter((r) => r.logged).length}`;
}
