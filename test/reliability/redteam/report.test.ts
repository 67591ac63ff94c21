// The red-team report: aligned rows, where each refusal was recorded, the failure lines, and the
// exact last line `scenarios: N, blocked: B, logged: L` that `make test` shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFailures, formatTable, notBlocked, recordLabel, resultCell, summaryLine, type ScenarioResult } from '../../../reliability/redteam/report.js';

const row = (over: Partial<ScenarioResult>): ScenarioResult => ({
  id: '1',
  attack: 'orchestrator: transfer to a stranger',
  expected: '403 not_whitelisted',
  result: '403 denied [not_whitelisted]',
  auditSeq: 57,
  blocked: true,
  logged: true,
  ...over,
});

const rows: ScenarioResult[] = [
  row({}),
  row({ id: '12', attack: 'bridge: blind digest', expected: 'unknown_command', result: 'socket: 4 x unknown_command', auditSeq: 'oplog' }),
  row({
    id: '16',
    attack: 'host user: edit state.db',
    result: '200 signed: the edit went unnoticed',
    auditSeq: null,
    blocked: false,
    logged: false,
    failures: ['expected 403 denied, got 200 signed', 'no tamper.detected audit entry'],
  }),
  row({ id: '20', attack: 'host user: socket from another uid', result: 'not run', auditSeq: null, blocked: false, logged: false, skipped: 'needs root' }),
];

test('the record column names the audit entry, the log or the OS refusal, and says when nothing recorded it', () => {
  assert.equal(recordLabel(row({ auditSeq: 57 })), 'audit #57');
  assert.equal(recordLabel(row({ auditSeq: 'oplog' })), 'oplog');
  assert.equal(recordLabel(row({ auditSeq: 'os:EACCES' })), 'os:EACCES');
  assert.equal(recordLabel(row({ auditSeq: 3, logged: false })), 'NOT LOGGED (audit #3)');
  assert.equal(recordLabel(row({ auditSeq: null, logged: false })), 'NOT LOGGED');
  assert.equal(recordLabel(row({ skipped: 'needs root' })), '-');
});

test('the result column starts with the verdict', () => {
  assert.equal(resultCell(row({})), 'blocked: 403 denied [not_whitelisted]');
  assert.equal(resultCell(row({ blocked: false, result: '200 signed' })), 'NOT BLOCKED: 200 signed');
  assert.equal(resultCell(row({ skipped: 'needs root' })), 'skipped: needs root');
});

test('the table has a header, a separator and one aligned row per scenario', () => {
  const lines = formatTable(rows).trimEnd().split('\n');
  assert.equal(lines.length, 2 + rows.length);
  assert.deepEqual(
    lines[0]!.split('|').map((c) => c.trim()),
    ['#', 'attack', 'expected', 'result', 'audit seq'],
  );
  assert.match(lines[1]!, /^-+-\|-+-\|-+-\|-+-\|-+$/);
  // Every column separator sits at the same offset on every line.
  const bars = (l: string) => [...l.matchAll(/\|/g)].map((m) => m.index);
  for (const l of lines) assert.deepEqual(bars(l), bars(lines[0]!), l);
  assert.match(lines[2]!, /^1 +\| orchestrator: transfer to a stranger +\| 403 not_whitelisted +\| blocked: 403 denied \[not_whitelisted\] +\| audit #57$/);
  assert.match(lines[4]!, /\| NOT BLOCKED: 200 signed: the edit went unnoticed +\| NOT LOGGED$/);
  assert.match(lines[5]!, /\| skipped: needs root +\| -$/);
});

test('the last line counts every scenario; a skipped one is neither blocked nor logged', () => {
  assert.equal(summaryLine(rows), 'scenarios: 4, blocked: 2, logged: 2');
  assert.equal(summaryLine([]), 'scenarios: 0, blocked: 0, logged: 0');
});

test('only a scenario that ran and was not blocked fails the run, and its reasons are printed', () => {
  assert.deepEqual(
    notBlocked(rows).map((r) => r.id),
    ['16'],
  );
  assert.equal(formatFailures(rows), 'NOT BLOCKED: #16 host user: edit state.db: expected 403 denied, got 200 signed; no tamper.detected audit entry\n');
  assert.equal(formatFailures(rows.filter((r) => r.id !== '16')), '');
  assert.equal(formatFailures([row({ logged: false, failures: ['no audit entry'] })]), 'not logged: #1 orchestrator: transfer to a stranger: no audit entry\n');
});
