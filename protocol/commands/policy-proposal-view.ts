// A policy proposal as policy.propose, approve, cancel, activate and policy.proposal answer it, and
// the listed changes between two policies (policy.diff too). A list holds at most MAX_LISTED_CHANGES
// changes (an answer must fit its frame); `changeCount` says how many there are in all.

export type PolicyProposalStatus = 'pending' | 'scheduled' | 'active' | 'cancelled' | 'superseded';

/** One change, in the words of firmware-policy/policy-change.ts. */
export type PolicyChangeView = {
  /** Where, e.g. `groups.hot.assets.31337:native.perTxMax`. */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  /** True iff this change can only deny more. */
  stricter: boolean;
  /** Human-readable old value; absent when added. */
  before?: string;
  /** Human-readable new value; absent when removed. */
  after?: string;
  note?: string;
};

export type ListedPolicyChanges = {
  changes: PolicyChangeView[];
  changeCount: number;
};

/** What each admin signs: this map with adminId and expiresAt filled in, canonically encoded. */
export type PolicyChangeStatement = {
  type: 'policy-change';
  deviceId: string;
  proposalId: string;
  version: number;
  hash: Uint8Array;
  adminId: null;
  expiresAt: null;
};

export type PolicyProposalView = ListedPolicyChanges & {
  proposalId: string;
  version: number;
  hash: Uint8Array;
  proposedBy: string;
  status: PolicyProposalStatus;
  /** The proposal only tightens the active policy (no time lock). */
  stricter: boolean;
  createdAt: number;
  quorumAt: number | null;
  /** When the time lock ends, once the quorum is reached; otherwise null. */
  activateAfter: number | null;
  required: number;
  approvedBy: string[];
  statement: PolicyChangeStatement;
};
