// Size limits shared by the bridge and the appliance (docs/limits.md). A request frame is at most
// DEFAULT_MAX_FRAME (protocol/frame.ts, 1 MiB); an answer may be up to four times that, because it
// can carry back what a request brought (a policy document inside an audit entry, a signed
// transaction beside its entry). Whatever a command returns must fit that answer frame: lists are
// bounded by bytes as well as by count, and say where to continue.

/** The largest answer frame for a given request-frame limit. */
export const maxResponseFrame = (maxFrame: number): number => maxFrame * 4;

/** Bytes of stored audit entries in one audit.list page (the first entry is always included). */
export const AUDIT_PAGE_MAX_BYTES = 1 << 20;

/**
 * Largest calldata the bridge accepts: 128 KiB, go-ethereum's transaction-pool limit for a whole
 * transaction (txMaxSize), so no node would relay anything larger anyway.
 */
export const MAX_CALLDATA_BYTES = 128 * 1024;

/** Changes listed one by one in a policy proposal or diff; the count of all of them travels beside. */
export const MAX_LISTED_CHANGES = 1000;
