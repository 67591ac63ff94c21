// The typed-data side of the signing flow (signing-flow.ts): how an EIP-712 request is rebuilt from
// its stored record, what its audit entry records (the typed data itself, so an offline replay
// recomputes the digest, the reading and the decision), and the 65-byte signature it releases.
import { decodeCanonical, type CborMap } from '../protocol/cbor.js';
import { asMap } from '../protocol/args.js';
import type { SignedTypedAnswer } from '../protocol/commands/signing-answer.js';
import { readTypedRequest, typedSummaryToCbor, type TypedRequest } from '../firmware-policy/evm/typed-intent.js';
import type { TxSignature } from '../firmware-policy/evm/transaction.js';
import type { Device } from './device.js';
import { requireKey } from './device.js';
import type { RequestRecord } from './state/request-store.js';
import type { TypedSignContext } from './signing-flow.js';

/** The canonical arguments a typed-data request is stored with (and its context rebuilt from). */
export function typedRecordArgs(requester: string, keyId: string, typed: TypedRequest): CborMap {
  return { requester, keyId, typedData: typed.cbor };
}

export function typedContextFromRecord(dev: Device, record: RequestRecord): TypedSignContext {
  const args = asMap(decodeCanonical(record.args), 'args');
  const typed = readTypedRequest(asMap(args.typedData, 'typedData'));
  return { record, key: requireKey(dev, record.keyId ?? ''), typed, digest: typed.digest };
}

/** What the audit entry names: the typed data as received, its digest and the firmware's reading of it. */
export function typedAuditFields(typed: TypedRequest): CborMap {
  return { typedData: typed.cbor, typedDataDigest: typed.digest, ...typedSummaryToCbor(typed) };
}

/** r ‖ s ‖ v with v = 27 + yParity, as eth_signTypedData returns it. */
export function typedSignature(sig: TxSignature): Uint8Array {
  const out = new Uint8Array(65);
  out.set(word(sig.r), 0);
  out.set(word(sig.s), 32);
  out[64] = 27 + sig.yParity;
  return out;
}

function word(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = n;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function typedSignedResponse(ctx: TypedSignContext, typed: TypedRequest, signature: Uint8Array, approvedBy: string[], entry: { seq: number; entry: Uint8Array }): SignedTypedAnswer {
  return {
    status: 'signed',
    requestId: ctx.record.requestId,
    keyId: ctx.key.keyId,
    from: ctx.key.address,
    digest: typed.digest,
    intentDigest: typed.digest,
    signature,
    yParity: (signature[64] as number) - 27,
    approvedBy,
    auditSeq: entry.seq,
    auditEntry: entry.entry,
  };
}
