// A whitelist proposal as whitelist.propose and whitelist.approve answer it: what it adds, where it
// stands (pending, accepted, cancelled; when its hold ends), who counted, and the statement an admin
// signs to approve it.

export type WhitelistProposalStatus = 'pending' | 'accepted' | 'cancelled';

/** What each admin signs: this map with adminId and expiresAt filled in, canonically encoded. */
export type WhitelistAddStatement = {
  type: 'whitelist-add';
  deviceId: string;
  proposalId: string;
  group: string;
  chainId: bigint;
  /** 20 bytes. */
  address: Uint8Array;
  label: string;
  adminId: null;
  expiresAt: null;
};

export type WhitelistProposalView = {
  proposalId: string;
  group: string;
  chainId: bigint;
  /** EIP-55 checksummed. */
  address: string;
  label: string;
  proposedBy: string;
  status: WhitelistProposalStatus;
  createdAt: number;
  /** When the admin quorum was reached, or null. */
  quorumAt: number | null;
  /** When the entry leaves its group's hold and counts, or null before the quorum. */
  activeAt: number | null;
  required: number;
  approvedBy: string[];
  statement: WhitelistAddStatement;
};
