// The device's two readings of "now" (docs/device-time.md). The host is untrusted for time, so the
// appliance passes both bounds and each check takes the pessimistic one: holds, time locks and
// rolling windows the earliest plausible now (they never pass early), approval expiry the latest
// (an approval never outlives its expiry because the host clock lags). A plain number means both
// bounds are that number (tests and offline replays of entries that recorded one time).
export interface TimeBounds {
  /** The device's own time: its last sealed time plus monotonic time elapsed, or an admin-attested time. */
  earliest: number;
  /** The latest time the device considers plausible: the host clock, never below `earliest`. */
  latest: number;
}

export type Now = number | TimeBounds;

/** For holds, time locks and window expiry. */
export const earliestOf = (now: Now): number => (typeof now === 'number' ? now : now.earliest);

/** For approval expiry. */
export const latestOf = (now: Now): number => (typeof now === 'number' ? now : Math.max(now.earliest, now.latest));
