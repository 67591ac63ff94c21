// State-view answers as recorded in an audit entry. The appliance records every answer the evaluator
// asked for; an offline replay answers from the record alone, so a decision can be re-run exactly.
import { equalBytes } from '../protocol/bytes.js';
import type { CborMap, CborValue } from '../protocol/cbor.js';
import { usagesOf } from './rules/velocity-window.js';
import type { AllowanceView, NonceRecordView, StateView, WhitelistEntryView, WindowUsage } from './state-view.js';

export interface RecordedInputs {
  whitelist: { group: string; chainId: bigint; address: Uint8Array; activeAt: number | null }[];
  windows: { keyId: string; asset: string; since: number; amount: bigint; count: number }[];
  nonces?: { keyId: string; chainId: bigint; nonce: bigint; record: NonceRecordView | null }[];
  /** Outstanding allowances looked up (absent in entries made before allowances were tracked). */
  allowances?: { keyId: string; asset: string; spender: Uint8Array; allowance: AllowanceView | null }[];
  /** Passkey signature counters read (absent in entries made before passkey approvals). */
  webauthnCounters?: { credentialId: Uint8Array; counter: number }[];
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
    windowUsages(keyId, asset, sinces) {
      // Recorded as one windowUsage answer per window, so a replay asks window by window.
      const us = usagesOf(view, keyId, asset, sinces);
      for (const [i, since] of sinces.entries()) rec.windows.push({ keyId, asset, since, amount: us[i]!.amount, count: us[i]!.count });
      return us;
    },
    nonceRecord(keyId, chainId, nonce) {
      const r = view.nonceRecord?.(keyId, chainId, nonce);
      (rec.nonces ??= []).push({ keyId, chainId, nonce, record: r ?? null });
      return r;
    },
    allowance(keyId, asset, spender) {
      const a = view.allowance?.(keyId, asset, spender);
      (rec.allowances ??= []).push({ keyId, asset, spender, allowance: a ?? null });
      return a;
    },
    webauthnCounter(credentialId) {
      const c = view.webauthnCounter?.(credentialId) ?? 0;
      (rec.webauthnCounters ??= []).push({ credentialId, counter: c });
      return c;
    },
  };
}

export class MissingInputError extends Error {}

/** A view that answers only from the record; a question that was not recorded throws MissingInputError. */
export function replayView(rec: RecordedInputs): StateView {
  return {
    whitelistEntry(group, chainId, address): WhitelistEntryView | undefined {
      const hit = rec.whitelist.find((w) => w.group === group && w.chainId === chainId && equalBytes(w.address, address));
      if (!hit) throw new MissingInputError('whitelist lookup not recorded');
      return hit.activeAt === null ? undefined : { activeAt: hit.activeAt };
    },
    windowUsage(keyId, asset, since): WindowUsage {
      const hit = rec.windows.find((w) => w.keyId === keyId && w.asset === asset && w.since === since);
      if (!hit) throw new MissingInputError('window usage not recorded');
      return { amount: hit.amount, count: hit.count };
    },
    nonceRecord(keyId, chainId, nonce): NonceRecordView | undefined {
      // Entries made before the nonce guard recorded nothing: nothing was signed at that nonce then.
      if (rec.nonces === undefined) return undefined;
      const hit = rec.nonces.find((n) => n.keyId === keyId && n.chainId === chainId && n.nonce === nonce);
      if (!hit) throw new MissingInputError('nonce record not recorded');
      return hit.record ?? undefined;
    },
    allowance(keyId, asset, spender): AllowanceView | undefined {
      // Entries made before allowances were tracked recorded none: nothing was outstanding then.
      if (rec.allowances === undefined) return undefined;
      const hit = rec.allowances.find((a) => a.keyId === keyId && a.asset === asset && equalBytes(a.spender, spender));
      if (!hit) throw new MissingInputError('allowance not recorded');
      return hit.allowance ?? undefined;
    },
    webauthnCounter(credentialId): number {
      // Entries made before passkey approvals recorded none: no passkey approval was judged then.
      if (rec.webauthnCounters === undefined) throw new MissingInputError('passkey counter not recorded');
      const hit = rec.webauthnCounters.find((c) => equalBytes(c.credentialId, credentialId));
      if (!hit) throw new MissingInputError('passkey counter not recorded');
      return hit.counter;
    },
  };
}

export function inputsToCbor(rec: RecordedInputs): CborMap {
  const allowances: CborMap =
    rec.allowances === undefined
      ? {}
      : { allowances: rec.allowances.map((a) => ({ keyId: a.keyId, asset: a.asset, spender: a.spender, allowance: a.allowance ? { amount: a.allowance.amount, nonce: a.allowance.nonce } : null })) };
  const counters: CborMap = rec.webauthnCounters === undefined ? {} : { webauthnCounters: rec.webauthnCounters.map((c) => ({ credentialId: c.credentialId, counter: c.counter })) };
  return {
    ...allowances,
    ...counters,
    whitelist: rec.whitelist.map((w) => ({ group: w.group, chainId: w.chainId, address: w.address, activeAt: w.activeAt })),
    windows: rec.windows.map((w) => ({ keyId: w.keyId, asset: w.asset, since: w.since, amount: w.amount, count: w.count })),
    nonces: (rec.nonces ?? []).map((n) => ({
      keyId: n.keyId,
      chainId: n.chainId,
      nonce: n.nonce,
      record: n.record ? { intentDigest: n.record.intentDigest, maxFeePerGas: n.record.maxFeePerGas, maxPriorityFeePerGas: n.record.maxPriorityFeePerGas, cancelled: n.record.cancelled } : null,
    })),
  };
}

const big = (v: CborValue | undefined): bigint => (typeof v === 'bigint' ? v : BigInt(v as number));

export function inputsFromCbor(v: CborValue | undefined): RecordedInputs {
  const m = (v ?? {}) as CborMap;
  const wl = (Array.isArray(m.whitelist) ? m.whitelist : []) as CborMap[];
  const ws = (Array.isArray(m.windows) ? m.windows : []) as CborMap[];
  const ns = Array.isArray(m.nonces) ? (m.nonces as CborMap[]) : undefined;
  const as = Array.isArray(m.allowances) ? (m.allowances as CborMap[]) : undefined;
  const wc = Array.isArray(m.webauthnCounters) ? (m.webauthnCounters as CborMap[]) : undefined;
  return {
    ...(wc ? { webauthnCounters: wc.map((c) => ({ credentialId: c.credentialId as Uint8Array, counter: Number(c.counter) })) } : {}),
    ...(as
      ? {
          allowances: as.map((a) => {
            const v = a.allowance as CborMap | null;
            return { keyId: String(a.keyId), asset: String(a.asset), spender: a.spender as Uint8Array, allowance: v ? { amount: big(v.amount), nonce: v.nonce === null ? null : big(v.nonce) } : null };
          }),
        }
      : {}),
    ...(ns
      ? {
          nonces: ns.map((n) => {
            const r = n.record as CborMap | null;
            return {
              keyId: String(n.keyId),
              chainId: big(n.chainId),
              nonce: big(n.nonce),
              record: r ? { intentDigest: r.intentDigest as Uint8Array, maxFeePerGas: big(r.maxFeePerGas), maxPriorityFeePerGas: big(r.maxPriorityFeePerGas), cancelled: r.cancelled === true } : null,
            };
          }),
        }
      : {}),
    whitelist: wl.map((w) => ({ group: String(w.group), chainId: big(w.chainId), address: w.address as Uint8Array, activeAt: w.activeAt === null ? null : Number(w.activeAt) })),
    windows: ws.map((w) => ({ keyId: String(w.keyId), asset: String(w.asset), since: Number(w.since), amount: big(w.amount), count: Number(w.count) })),
  };
}
