// Where each of the six attempt exceptions goes (seed 003 table 1), as data: what the orchestrator
// does on its own and when it stops and asks an operator. EXPIRED's route is a policy choice of the
// operator (bump automatically up to the fee cap, or ask); REVERTED is never retried automatically.
import type { ATTEMPT_EXCEPTIONS } from './states.js';

export type AttemptException = (typeof ATTEMPT_EXCEPTIONS)[number];

export type Route =
  | 'resend' // send the same signed transaction again
  | 'bump' // a new attempt at the same nonce, fees at least 10% higher, within the cap
  | 'adopt' // close this attempt; the included one at the nonce is canonical
  | 'operator' // into the exception queue: retry, cancel, or accept the chain's outcome
  | 'quorum'; // ask the endpoints again; the operator if it persists

export interface RoutePolicy {
  /** EXPIRED: bump automatically, or hand to an operator. */
  expired: 'bump' | 'operator';
  /** How many automatic actions on one withdrawal before an operator must look. */
  maxAutomatic: number;
  /** How many inconsistent rounds in a row before an operator must look. */
  maxInconsistentRounds: number;
}

export const DEFAULT_ROUTE_POLICY: RoutePolicy = { expired: 'bump', maxAutomatic: 5, maxInconsistentRounds: 3 };

export const EXCEPTION_ROUTES: Record<AttemptException, (p: RoutePolicy) => Route> = {
  failed: () => 'resend', // FAILED: retried automatically
  expired: (p) => p.expired, // EXPIRED: bumped, or to an operator, by policy
  dropped: () => 'bump', // DROPPED: re-sent at the same nonce with higher fees
  replaced: () => 'adopt', // REPLACED: close the old attempt, adopt the included one
  reverted: () => 'operator', // REVERTED: to an operator, never retried automatically
  rpc_inconsistent: () => 'quorum', // RPC_INCONSISTENT: resolved by quorum, or an operator
};

/** The route for an exception, after the automatic budget: past it, everything goes to an operator. */
export function routeOf(e: AttemptException, p: RoutePolicy, automaticSoFar: number, inconsistentRounds = 0): Route {
  const r = EXCEPTION_ROUTES[e](p);
  if (r === 'adopt' || r === 'operator') return r;
  if (r === 'quorum') return inconsistentRounds >= p.maxInconsistentRounds ? 'operator' : 'quorum';
  return automaticSoFar >= p.maxAutomatic ? 'operator' : r;
}
