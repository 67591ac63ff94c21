// The state tables as data: every row names known states, every state but W0/A0 is reachable, the
// terminal states have no way out, and each of the six exceptions is a state with a way in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ATTEMPT_EXCEPTIONS, ATTEMPT_STATE_NAMES, ATTEMPT_TERMINAL, WITHDRAWAL_STATE_NAMES, WITHDRAWAL_TERMINAL } from '../../orchestrator/states.js';
import { allowed, ATTEMPT_TRANSITIONS, WITHDRAWAL_TRANSITIONS, type Transition } from '../../orchestrator/transitions.js';

function reachable<S extends string>(table: readonly Transition<S>[], start: S): Set<S> {
  const seen = new Set<S>([start]);
  for (let grew = true; grew;) {
    grew = false;
    for (const r of table)
      if (seen.has(r.from) && !seen.has(r.to)) {
        seen.add(r.to);
        grew = true;
      }
  }
  return seen;
}

test('every withdrawal transition names known states, and every state is reachable from requested', () => {
  for (const r of WITHDRAWAL_TRANSITIONS) {
    assert.ok(WITHDRAWAL_STATE_NAMES.includes(r.from), r.from);
    assert.ok(WITHDRAWAL_STATE_NAMES.includes(r.to), r.to);
  }
  assert.deepEqual([...reachable(WITHDRAWAL_TRANSITIONS, 'requested')].sort(), [...WITHDRAWAL_STATE_NAMES].sort());
});

test('a finished withdrawal has no way out, and W9 comes only after finality', () => {
  for (const s of WITHDRAWAL_TERMINAL) assert.equal(WITHDRAWAL_TRANSITIONS.filter((r) => r.from === s).length, 0, s);
  assert.deepEqual(
    WITHDRAWAL_TRANSITIONS.filter((r) => r.to === 'ledger_posted').map((r) => r.from),
    ['finalized'],
  );
  assert.equal(allowed(WITHDRAWAL_TRANSITIONS, 'requested', 'broadcasted', 'attempt_sent'), false);
  assert.equal(allowed(WITHDRAWAL_TRANSITIONS, 'signed', 'broadcasted', 'attempt_sent'), true);
  assert.equal(allowed(WITHDRAWAL_TRANSITIONS, 'signed', 'broadcasted', 'cancel'), false, 'the cause is part of the row');
});

test('every attempt state is reachable, the six exceptions have a way in, and the terminal ones no way out', () => {
  for (const r of ATTEMPT_TRANSITIONS) {
    assert.ok(ATTEMPT_STATE_NAMES.includes(r.from), r.from);
    assert.ok(ATTEMPT_STATE_NAMES.includes(r.to), r.to);
  }
  assert.deepEqual([...reachable(ATTEMPT_TRANSITIONS, 'created')].sort(), [...ATTEMPT_STATE_NAMES].sort());
  assert.equal(ATTEMPT_EXCEPTIONS.length, 6);
  for (const e of ATTEMPT_EXCEPTIONS)
    assert.ok(
      ATTEMPT_TRANSITIONS.some((r) => r.to === e),
      e,
    );
  for (const s of ATTEMPT_TERMINAL) assert.equal(ATTEMPT_TRANSITIONS.filter((r) => r.from === s).length, 0, s);
  assert.equal(allowed(ATTEMPT_TRANSITIONS, 'reverted', 'sent', 'resend'), false, 'a reverted attempt is never retried automatically');
});
