// The closed vocabularies of the ledger: the four balance states and the kinds of account.

export const STATES = ['available', 'reserved', 'pending', 'settled'] as const;
export type BalanceState = (typeof STATES)[number];

export const ACCOUNT_KINDS = ['customer', 'custody', 'fees', 'suspense'] as const;
export type AccountKind = (typeof ACCOUNT_KINDS)[number];
