// `make redteam`: a compromised bridge, orchestrator, host user, admin or single approver attacks the
// real parts (a SoftHSM2 token, the appliance as its own process on its Unix socket, the real bridge,
// anvil where a chain must judge a signature). Each scenario asserts the specific typed refusal, that
// nothing was signed or changed, and where the refusal was recorded (an audit entry, the appliance's
// structured log, or the OS). Prints one row per scenario, the reasons of any scenario not blocked,
// and last: `scenarios: N, blocked: B, logged: L`. Exits 1 when a scenario that ran was not blocked.
import type { ScenarioResult } from './redteam/report.js';
import { formatFailures, formatTable, notBlocked, summaryLine } from './redteam/report.js';
import { runScenario, type Scenario } from './redteam/scenario.js';
import { buildWorld } from './redteam/world.js';
import { transactionScenarios } from './redteam/scenarios-transactions.js';
import { approvalScenarios } from './redteam/scenarios-approvals.js';
import { governanceScenarios } from './redteam/scenarios-governance.js';
import { boundaryScenarios } from './redteam/scenarios-boundary.js';
import { tamperScenarios } from './redteam/scenarios-tamper.js';
import { boundaryHoleScenarios } from './redteam/boundary-holes/index.js';
import { zeroTrustScenarios } from './redteam/zero-trust/index.js';
import { custodyScenarios } from './redteam/scenarios-custody.js';
import { safeScenarios } from './redteam/scenarios-safe.js';

const say = (m: string) => process.stderr.write(`redteam: ${m}\n`);

/** In the order: 7 removes carol, whom 4a–4b need; 19 scans every response made before it. */
const ORDER = ['1', '2', '3', '4a', '4b', '4c', '5', '6', '7', '8a', '8b', '9', '10', '11', '12', '13', '13c', '14', '15', '16', '17', '18', '19', '20'];

/**
 * The first 24 scenarios in their fixed order, then the trust-boundary holes of issue 11 (ids
 * `H<item>` or `H<item><letter>`, one file per item under redteam/boundary-holes/), in item order,
 * the zero-trust host scenarios of issue 12 (`Z…`, redteam/zero-trust/), and the custody service's
 * of issue 13 (`C…`, redteam/scenarios-custody.ts), and Safe co-signing's of issue 18 (`S…`,
 * redteam/scenarios-safe.ts).
 */
function allScenarios(): Scenario[] {
  const all = [...transactionScenarios, ...approvalScenarios, ...governanceScenarios, ...boundaryScenarios, ...tamperScenarios];
  const byId = new Map(all.map((s) => [s.id, s]));
  if (byId.size !== ORDER.length || ORDER.some((id) => !byId.has(id))) throw new Error('the scenario list and ORDER differ');
  const holes = [...boundaryHoleScenarios].sort((a, b) => holeOrder(a.id) - holeOrder(b.id) || a.id.localeCompare(b.id));
  for (const s of holes) {
    if (byId.has(s.id)) throw new Error(`duplicate red-team scenario id ${s.id}`);
    byId.set(s.id, s);
  }
  // Then the zero-trust host scenarios of issue 12 (ids `Z<item>…`), in their file's order.
  for (const s of zeroTrustScenarios) {
    if (!/^Z\d+[a-z]?$/.test(s.id) || byId.has(s.id)) throw new Error(`zero-trust scenario id ${s.id} is not Z<item> or is a duplicate`);
    byId.set(s.id, s);
  }
  // Then the custody service's scenarios of issue 13 (ids `C<n>`).
  for (const s of custodyScenarios) {
    if (!/^C\d+[a-z]?$/.test(s.id) || byId.has(s.id)) throw new Error(`custody scenario id ${s.id} is not C<n> or is a duplicate`);
    byId.set(s.id, s);
  }
  // Then Safe co-signing's of issue 18 (ids `S<n>`).
  for (const s of safeScenarios) {
    if (!/^S\d+[a-z]?$/.test(s.id) || byId.has(s.id)) throw new Error(`Safe scenario id ${s.id} is not S<n> or is a duplicate`);
    byId.set(s.id, s);
  }
  return [...ORDER.map((id) => byId.get(id)!), ...holes, ...zeroTrustScenarios, ...custodyScenarios, ...safeScenarios];
}

function holeOrder(id: string): number {
  const m = /^H(\d+)/.exec(id);
  if (!m) throw new Error(`boundary-hole scenario id ${id} is not H<item>`);
  return Number(m[1]);
}

async function main(): Promise<void> {
  const started = performance.now();
  const scenarios = allScenarios();
  const world = await buildWorld(say);
  const rows: ScenarioResult[] = [];
  try {
    for (const s of scenarios) {
      const t = performance.now();
      const row = await runScenario(s, world);
      rows.push(row);
      say(`#${s.id} ${row.skipped !== undefined ? 'skipped' : row.blocked ? 'blocked' : 'NOT BLOCKED'} (${Math.round(performance.now() - t)} ms)`);
    }
  } finally {
    await world.close();
  }
  say(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  process.stdout.write(formatTable(rows));
  process.stdout.write(formatFailures(rows));
  process.stdout.write(summaryLine(rows) + '\n');
  if (notBlocked(rows).length > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`redteam failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
