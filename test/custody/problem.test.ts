// The one mapping of typed errors to problems: a code both layers use keeps each layer's own status
// and title (a ledger illegal_transition is 422, a withdrawal's 409; idempotency_conflict 409 and 422),
// the ledger's details go in a `details` member and the orchestrator's are members of the problem,
// a service code answers with its own status, and an untyped error says nothing of itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { problemStatus, ProblemError, toProblem } from '../../custody/problem.js';
import { LedgerError } from '../../ledger/errors.js';
import { OrchestratorError } from '../../orchestrator/errors.js';

test('each layer error keeps its code, status, title and details shape', () => {
  assert.deepEqual(toProblem(new LedgerError('illegal_transition', 'no such line', { kind: 'deposit.finality' })), {
    details: { kind: 'deposit.finality' },
    type: '/problems/illegal_transition',
    title: 'A line the entry kind does not allow',
    status: 422,
    detail: 'no such line',
    code: 'illegal_transition',
  });
  assert.deepEqual(toProblem(new OrchestratorError('illegal_transition', 'not from signed', { withdrawalId: 'wd_1' })), {
    withdrawalId: 'wd_1',
    type: '/problems/illegal_transition',
    title: 'The withdrawal or attempt cannot make that move from its state',
    status: 409,
    detail: 'not from signed',
    code: 'illegal_transition',
  });
  assert.equal(toProblem(new LedgerError('idempotency_conflict', 'x')).status, 409);
  assert.equal(toProblem(new OrchestratorError('idempotency_conflict', 'x')).status, 422);
  assert.equal(toProblem(new OrchestratorError('nonce_taken', 'x')).status, 409);
  assert.equal(toProblem(new LedgerError('chain_mismatch', 'x')).status, 502);
  assert.equal(new LedgerError('corrupt', 'x').name, 'LedgerError');
  assert.equal(new OrchestratorError('not_found', 'x').name, 'OrchestratorError');
});

test('service codes, and anything untyped as internal', () => {
  assert.deepEqual(toProblem(new ProblemError('not_configured', 'no bridge', { field: 'bridge' })), {
    field: 'bridge',
    type: '/problems/not_configured',
    title: 'The service is not configured for this',
    status: 503,
    detail: 'no bridge',
    code: 'not_configured',
  });
  assert.deepEqual(toProblem(new Error('secret /path')), { type: '/problems/internal', title: 'Internal error', status: 500, detail: 'internal error', code: 'internal' });
  // problemStatus (the OpenAPI's lookup) takes the service's status, else the ledger's, else the orchestrator's.
  assert.equal(problemStatus('bad_request'), 400);
  assert.equal(problemStatus('illegal_transition'), 422);
  assert.equal(problemStatus('nonce_taken'), 409);
});
