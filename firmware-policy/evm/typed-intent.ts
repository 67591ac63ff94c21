// What one EIP-712 signing request is, as the policy judges it: the typed data as it arrived
// (canonical CBOR, the same bytes the audit entry records for replay), its signing digest, its
// domain facts, what it grants or moves (classifyTypedData) and the exact type hash of its primary
// type (keccak256 of encodeType, dependencies included), which a policy may allowlist per domain.
// A Safe transaction's summary carries its decoded inner call (evm/safe-tx.ts).
// Pure: no I/O.
import type { CborMap, CborValue } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { checkSafeCalldata, safeTxToCbor } from './safe-tx.js';
import { classifyTypedData, domainFacts, typedDataDigest, typeHash, type TypedData, type TypedDomainFacts, type TypedIntent } from './eip712.js';

export interface TypedRequest {
  /** The typed data as CBOR (text keys), exactly as received and recorded. */
  cbor: CborMap;
  /** keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(message)): what the key signs. */
  digest: Uint8Array;
  primaryType: string;
  /** keccak256(encodeType(primaryType)). */
  typeHash: Uint8Array;
  facts: TypedDomainFacts;
  intent: TypedIntent;
}

/** CBOR (from the bridge's JSON) back to the plain values the EIP-712 encoder reads. */
function plain(v: CborValue): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Uint8Array) return '0x' + Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('');
  if (v instanceof Map) throw new ApplianceError('bad_request', '"typedData" must use text keys');
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** Reads and validates typed data (every failure is bad_request naming the field). */
export function readTypedRequest(cbor: CborMap): TypedRequest {
  const td = plain(cbor) as TypedData;
  const digest = typedDataDigest(td); // validates the whole message
  const intent = classifyTypedData(td);
  // A Safe's inner token call is read like a transaction's: strictly encoded, or refused as bad_request.
  if (intent.kind === 'safe-tx') checkSafeCalldata(intent);
  return { cbor, digest, primaryType: td.primaryType, typeHash: typeHash(td, td.primaryType), facts: domainFacts(td), intent };
}

/** The decoded reading, for the audit entry and the response (the replay recomputes it from `cbor`). */
export function typedSummaryToCbor(t: TypedRequest): CborMap {
  const i = t.intent;
  const m: CborMap = {
    primaryType: t.primaryType,
    typeHash: t.typeHash,
    domain: { chainId: t.facts.chainId, verifyingContract: t.facts.verifyingContract, name: t.facts.name },
    classification: i.kind,
  };
  if (i.kind === 'safe-tx') m.safeTx = safeTxToCbor(i, t.facts.chainId);
  if (i.kind === 'eip3009') m.transfer = { token: i.token, from: i.from, to: i.to, value: i.value, validAfter: i.validAfter, validBefore: i.validBefore, nonce: i.nonce };
  return m;
}
