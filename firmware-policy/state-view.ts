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

export interface StateView {
  whitelistEntry(group: string, chainId: bigint, address: Uint8Array): WhitelistEntryView | undefined;
  /** Signed (reserved) spend of this key and asset at or after `since` (unix seconds). */
  windowUsage(keyId: string, asset: string, since: number): WindowUsage;
}
