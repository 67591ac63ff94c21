// State-view answers as recorded in an audit entry. The appliance records every answer the evaluator
// asked for; an offline replay answers from the record alone, so a decision can be re-run exactly.
import type { CborMap, CborValue } from '../protocol/cbor.js';
import type { StateView, WhitelistEntryView, WindowUsage } from './state-view.js';

export interface RecordedInputs {
  whitelist: { group: string; chainId: bigint; address: Uint8Array; activeAt: number | null }[];
  windows: { keyId: string; asset: string; since: number; amount: bigint; count: number }[];
}

/** Wraps a view so that every answer is also written to `rec`. */
export function recordingView(view: StateView, rec: RecordedInputs): StateView {
  return {
    whitelistEntry(group, chainId, address) {
      const e = view.whitelistEntry(group, chainId, address);
      rec.whitelist.push({ group, chainId, address, activeAt: e ? e.activeAt : null });
      return e;
    },
    windowUsage(keyId, asset, since) {
      const u = view.windowUsage(keyId, asset, since);
      rec.windows.push({ keyId, asset, since, amount: u.amount, count: u.count });
      return u;
    },
  };
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

export class MissingInputError extends Error {}

/** A view that answers only from the record; a question that was not recorded throws MissingInputError. */
export function replayView(rec: RecordedInputs): StateView {
  return {
    whitelistEntry(group, chainId, address): WhitelistEntryView | undefined {
      const hit = rec.whitelist.find((w) => w.group === group && w.chainId === chainId && sameBytes(w.address, address));
      if (!hit) throw new MissingInputError('whitelist lookup not recorded');
      return hit.activeAt === null ? undefined : { activeAt: hit.activeAt };
    },
    windowUsage(keyId, asset, since): WindowUsage {
      const hit = rec.windows.find((w) => w.keyId === keyId && w.asset === asset && w.since === since);
      if (!hit) throw new MissingInputError('window usage not recorded');
      return { amount: hit.amount, count: hit.count };
    },
  };
}

export function inputsToCbor(rec: RecordedInputs): CborMap {
  return {
    whitelist: rec.whitelist.map((w) => ({ group: w.group, chainId: w.chainId, address: w.address, activeAt: w.activeAt })),
    windows: rec.windows.map((w) => ({ keyId: w.keyId, asset: w.asset, since: w.since, amount: w.amount, count: w.count })),
  };
}

const big = (v: CborValue | undefined): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));

export function inputsFromCbor(v: CborValue | undefined): RecordedInputs {
  const m = (v ?? {}) as CborMap;
  const wl = (Array.isArray(m.whitelist) ? m.whitelist : []) as CborMap[];
  const ws = (Array.isArray(m.windows) ? m.windows : []) as CborMap[];
  return {
    whitelist: wl.map((w) => ({ group: String(w.group), chainId: big(w.chainId), address: w.address as Uint8Array, activeAt: w.activeAt === null ? null : Number(w.activeAt) })),
    windows: ws.map((w) => ({ keyId: String(w.keyId), asset: String(w.asset), since: Number(w.since), amount: big(w.amount), count: Number(w.count) })),
  };
}
