// Reads a bridge error answer, an RFC 9457 problem (host-bridge/problem.ts), as the error fields the
// tests check: its code, detail (as `message`) and typed details. It first checks the problem's form:
// type /problems/<code> (or a subtype under it), a title, a numeric status, the detail, and the deprecated `error` equal to the code.
import assert from 'node:assert/strict';

export interface ProblemFields {
  code: string;
  message: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each test casts the typed details it checks
  details?: any;
}

/** The problem's fields, or undefined when the body is no problem (an answer, not an error). */
export function problemFields(json: unknown): ProblemFields | undefined {
  const p = json as Record<string, unknown> | undefined;
  if (!p || typeof p !== 'object' || p.code === undefined) return undefined;
  assert.equal(typeof p.code, 'string', 'problem code');
  assert.ok(p.type === `/problems/${String(p.code)}` || (typeof p.type === 'string' && p.type.startsWith(`/problems/${String(p.code)}/`)), `problem type ${String(p.type)}`);
  assert.equal(typeof p.title, 'string', 'problem title');
  assert.equal(typeof p.status, 'number', 'problem status');
  assert.equal(typeof p.detail, 'string', 'problem detail');
  assert.equal(p.error, p.code, 'the deprecated error member repeats the code');
  return { code: p.code as string, message: p.detail as string, ...(p.details === undefined ? {} : { details: p.details as Record<string, unknown> }) };
}

/** As problemFields, for a body that must be a problem. */
export function problemOf(json: unknown): ProblemFields {
  return problemFields(json) ?? assert.fail(`not a problem: ${JSON.stringify(json).slice(0, 200)}`);
}
