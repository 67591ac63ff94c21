// Where each of the six exceptions goes (seed 003 table 1), and the automatic budget after which
// everything goes to an operator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_ROUTE_POLICY, routeOf, type AttemptException } from '../../orchestrator/exception-routes.js';
import { ATTEMPT_EXCEPTIONS } from '../../orchestrator/states.js';

test('each exception has its route', () => {
  const routes = Object.fromEntries(ATTEMPT_EXCEPTIONS.map((e: AttemptException) => [e, routeOf(e, DEFAULT_ROUTE_POLICY, 0)]));
  assert.deepEqual(routes, { failed: 'resend', expired: 'bump', dropped: 'bump', replaced: 'adopt', reverted: 'operator', rpc_inconsistent: 'quorum' });
  assert.equal(routeOf('expired', { ...DEFAULT_ROUTE_POLICY, expired: 'operator' }, 0), 'operator', 'EXPIRED goes to an operator when the policy says so');
});

test('a reverted attempt is never retried automatically, whatever the budget', () => {
  assert.equal(routeOf('reverted', { ...DEFAULT_ROUTE_POLICY, maxAutomatic: 1000 }, 0), 'operator');
});

test('past the automatic budget, retries and bumps go to an operator; inconsistency too after enough rounds', () => {
  assert.equal(routeOf('failed', DEFAULT_ROUTE_POLICY, DEFAULT_ROUTE_POLICY.maxAutomatic), 'operator');
  assert.equal(routeOf('dropped', DEFAULT_ROUTE_POLICY, DEFAULT_ROUTE_POLICY.maxAutomatic - 1), 'bump');
  assert.equal(routeOf('rpc_inconsistent', DEFAULT_ROUTE_POLICY, 0, DEFAULT_ROUTE_POLICY.maxInconsistentRounds), 'operator');
  assert.equal(routeOf('replaced', DEFAULT_ROUTE_POLICY, 99), 'adopt', 'adopting the included attempt needs no budget');
});
