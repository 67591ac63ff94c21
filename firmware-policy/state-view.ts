// The read-only view of device state that the evaluator may consult. The appliance implements it
// with indexed queries (no scan of the window, no load of the whole whitelist); tests use a fake.

export interface WhitelistEntryView {
  /** Unix seconds from which the entry may be used (end of its hold). */
  activeAt: number;
}

export interface WindowUsage {
  amount: bigint;
  count: number;
}

/** What the device last signed for one (key, chain, nonce): the nonce-conflict guard's memory. */
export interface NonceRecordView {
  /** Intent digest of the first transfer signed at this nonce. */
  intentDigest: Uint8Array;
  /** Fees of the last signature at this nonce (original, bump or cancel). */
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  /** The last signature at this nonce was a cancel. */
  cancelled: boolean;
}

/**
 * The allowance a key has granted a spender for one token, as far as the device knows (an upper
 * bound: it cannot see what the spender has already pulled). `nonce` orders the approve/increase
 * transactions that set it (null when only Permit signatures, which carry no transaction nonce, did).
 */
export interface AllowanceView {
  amount: bigint;
  nonce: bigint | null;
}

export interface StateView {
  whitelistEntry(group: string, chainId: bigint, address: Uint8Array): WhitelistEntryView | undefined;
  /** Signed (reserved) spend of this key and asset at or after `since` (unix seconds). */
  windowUsage(keyId: string, asset: string, since: number): WindowUsage;
  /**
   * The usage of several windows of one key and asset, in the order of `sinces`: the same answers
   * as windowUsage for each, read at once (the device reads them in one statement). A view without
   * it is asked window by window.
   */
  windowUsages?(keyId: string, asset: string, sinces: readonly number[]): WindowUsage[];
  /** The nonce guard's record; a view without it (a unit-test fake) means nothing signed yet. */
  nonceRecord?(keyId: string, chainId: bigint, nonce: bigint): NonceRecordView | undefined;
  /** Outstanding allowance of (key, token asset, spender); a view without it means none granted yet. */
  allowance?(keyId: string, asset: string, spender: Uint8Array): AllowanceView | undefined;
  /** The stored signature counter of a passkey credential; a view without it (or no counter yet) means 0. */
  webauthnCounter?(credentialId: Uint8Array): number | undefined;
}
