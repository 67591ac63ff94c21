// What a red-team scenario is: an attack, what the appliance is expected to do, and a run that
// collects its checks. A check that fails means "not blocked"; a missing record means "not logged".
import type { ScenarioResult } from './report.js';
import type { World } from './world.js';

export type Attacker = 'bridge' | 'orchestrator' | 'host user' | 'approver' | 'admin';

export interface Scenario {
  id: string;
  attacker: Attacker;
  attack: string;
  expected: string;
  run(w: World, v: Verdict): Promise<Outcome>;
}

export interface Outcome {
  /** What happened, briefly (status, code, and what did not happen). */
  result: string;
  /** The audit seq of the refusal, or "oplog" / "os:EACCES" when it is recorded elsewhere. */
  auditSeq: number | string | null;
  logged: boolean;
  /** The scenario could not run here, and why. */
  skipped?: string;
}

/** The checks of one scenario run. */
export class Verdict {
  readonly failures: string[] = [];
  private blockedChecks = 0;
  private failedChecks = 0;

  /** A check that the attack was refused as expected; a false one means "not blocked". */
  expect(ok: boolean, what: string): boolean {
    this.blockedChecks++;
    if (!ok) {
      this.failedChecks++;
      this.failures.push(what);
    }
    return ok;
  }

  /** A check that the refusal was recorded; a false one means "not logged" (and says why). */
  recorded(ok: boolean, what: string): boolean {
    if (!ok) this.failures.push(what);
    return ok;
  }

  get blocked(): boolean {
    return this.blockedChecks > 0 && this.failedChecks === 0;
  }
}

export async function runScenario(s: Scenario, w: World): Promise<ScenarioResult> {
  const v = new Verdict();
  const head = { id: s.id, attack: `${s.attacker}: ${s.attack}`, expected: s.expected };
  try {
    const o = await s.run(w, v);
    if (o.skipped !== undefined) return { ...head, result: o.result, auditSeq: null, blocked: false, logged: false, skipped: o.skipped };
    return { ...head, result: o.result, auditSeq: o.auditSeq, blocked: v.blocked, logged: o.logged, failures: v.failures };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    return { ...head, result: `error: ${msg}`, auditSeq: null, blocked: false, logged: false, failures: [...v.failures, `threw: ${msg}`] };
  }
}
