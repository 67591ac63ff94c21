// The travel-rule payload a withdrawal carries above a threshold: IVMS101's originator and beneficiary
// (natural or legal persons with names, and account numbers), checked for shape, and its digest: SHA-256
// over the payload's canonical JSON (keys sorted, no spaces). The digest goes into the sign request, so
// the appliance's audit entry names exactly the payload the orchestrator kept.
import { createHash } from 'node:crypto';

export interface TravelRuleCheck {
  ok: boolean;
  problem?: string;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const nonEmptyText = (x: unknown): boolean => typeof x === 'string' && x.trim().length > 0 && x.length <= 200;

function personHasName(p: unknown): boolean {
  if (!isObject(p)) return false;
  if (isObject(p.naturalPerson)) {
    const ids = isObject(p.naturalPerson.name) ? p.naturalPerson.name.nameIdentifier : undefined;
    return Array.isArray(ids) && ids.length > 0 && ids.every((i) => isObject(i) && nonEmptyText(i.primaryIdentifier));
  }
  if (isObject(p.legalPerson)) {
    const ids = isObject(p.legalPerson.name) ? p.legalPerson.name.nameIdentifier : undefined;
    return Array.isArray(ids) && ids.length > 0 && ids.every((i) => isObject(i) && nonEmptyText(i.legalPersonName));
  }
  return false;
}

function party(x: unknown, persons: string, label: string): string | null {
  if (!isObject(x)) return `${label} is missing`;
  const list = x[persons];
  if (!Array.isArray(list) || list.length === 0) return `${label}.${persons} needs at least one person`;
  if (!list.every(personHasName)) return `${label}.${persons}: each person needs a naturalPerson or legalPerson with a name`;
  const accounts = x.accountNumber;
  if (!Array.isArray(accounts) || accounts.length === 0 || !accounts.every(nonEmptyText)) return `${label}.accountNumber needs at least one account`;
  return null;
}

/** Whether the payload has IVMS101's originator and beneficiary with named persons and accounts. */
export function checkTravelRule(payload: unknown): TravelRuleCheck {
  if (!isObject(payload)) return { ok: false, problem: 'the travel-rule payload is an object' };
  const problem = party(payload.originator, 'originatorPersons', 'originator') ?? party(payload.beneficiary, 'beneficiaryPersons', 'beneficiary');
  return problem === null ? { ok: true } : { ok: false, problem };
}

function canonical(x: unknown): string {
  if (x === null || typeof x === 'boolean' || typeof x === 'string') return JSON.stringify(x);
  if (typeof x === 'number') {
    if (!Number.isFinite(x)) throw new RangeError('a travel-rule payload holds finite numbers only');
    return JSON.stringify(x);
  }
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (isObject(x)) {
    return `{${Object.keys(x)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(x[k])}`)
      .join(',')}}`;
  }
  throw new RangeError('a travel-rule payload is JSON');
}

/** SHA-256 of the canonical JSON, 0x and 64 hex digits. */
export function travelRuleHash(payload: unknown): string {
  return (
    '0x' +
    createHash('sha256')
      .update(canonical(payload as Json))
      .digest('hex')
  );
}
