// The closed set of sealed-state codes (docs/reliability.md "Sealed state"): why a device refuses to
// act, in its refusals (details { rule: 'sealed-state', code, findings }) and in the `code` of its
// `tamper.detected` audit entries. The findings beside a code are sentences naming what was found
// (a seq, a table row, a time), for people; the code is what programs compare.
export const SEAL_CODES = ['state_tampered', 'clock_rollback'] as const;

export type SealCode = (typeof SEAL_CODES)[number];

export function isSealCode(x: unknown): x is SealCode {
  return typeof x === 'string' && (SEAL_CODES as readonly string[]).includes(x);
}

/** The details of a sealed-state refusal. */
export function sealedStateDetails(code: SealCode, findings: readonly string[]): { rule: 'sealed-state'; code: SealCode; findings: string[] } {
  return { rule: 'sealed-state', code, findings: [...findings] };
}
