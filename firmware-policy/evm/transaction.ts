// Typed EVM transactions: encode, decode and hash the three transaction types the signer accepts.
// Pure: no I/O. Specs:
// - legacy: Yellow Paper §4.2 with EIP-155 replay protection (v = chainId·2 + 35 + yParity;
//   unsigned form rlp([nonce, gasPrice, gas, to, value, data, chainId, 0, 0])); pre-EIP-155 has
//   six unsigned fields and v = 27 + yParity,
// - EIP-2718 typed envelope (type byte ‖ rlp(payload)),
// - EIP-2930 (type 0x01, access lists) and EIP-1559 (type 0x02, fee market),
// - EIP-2 low-s and EIP-2681 (nonce < 2^64) on decode.
//
// Decoders accept only canonical RLP (see rlp.ts) and minimal integers, check every field
// (validateTx) and, for signed transactions, the signature values (r and s in range, s low,
// v valid). Recovering the sender is the caller's business. Every failure is
// ApplianceError('bad_request') whose message names the field.
//
// Encoders check only what the encoding needs (field types, integers within 256 bits, 20-byte
// addresses, 32-byte storage keys), so they can reproduce other implementations' vectors with
// chainId 0; validateTx adds the bounds a chain enforces. Anything the signer signs must pass
// validateTx first: decodeUnsigned does so, a transaction built in code must call it.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { ApplianceError } from '../../protocol/errors.js';
import { decodeRlp, decodeUint, encodeRlp, encodeUint, type RlpItem } from './rlp.js';

export type Address = Uint8Array; // 20 bytes

export interface AccessListEntry {
  address: Address;
  storageKeys: Uint8Array[]; // 32 bytes each
}

export type EvmTx =
  | {
      type: 'legacy';
      /** null = pre-EIP-155 (no replay protection). */
      chainId: bigint | null;
      nonce: bigint;
      gasPrice: bigint;
      gasLimit: bigint;
      to: Address | null;
      value: bigint;
      data: Uint8Array;
    }
  | {
      type: 'eip2930';
      chainId: bigint;
      nonce: bigint;
      gasPrice: bigint;
      gasLimit: bigint;
      to: Address | null;
      value: bigint;
      data: Uint8Array;
      accessList: AccessListEntry[];
    }
  | {
      type: 'eip1559';
      chainId: bigint;
      nonce: bigint;
      maxPriorityFeePerGas: bigint;
      maxFeePerGas: bigint;
      gasLimit: bigint;
      to: Address | null;
      value: bigint;
      data: Uint8Array;
      accessList: AccessListEntry[];
    };

export interface TxSignature {
  r: bigint;
  s: bigint;
  yParity: 0 | 1;
}

/** Order n of the secp256k1 group. */
export const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const HALF_ORDER = SECP256K1_ORDER >> 1n;
const MAX_UINT256 = (1n << 256n) - 1n;
const MAX_UINT64 = (1n << 64n) - 1n;
/** Largest legacy chain id whose v = chainId·2 + 36 still fits in 256 bits. */
const MAX_LEGACY_CHAIN_ID = (MAX_UINT256 - 36n) / 2n;

const TYPE_BYTE = { eip2930: 0x01, eip1559: 0x02 } as const;

function bad(message: string, field?: string): ApplianceError {
  return new ApplianceError('bad_request', message, field === undefined ? undefined : { field });
}

// ---------------------------------------------------------------------------------------------
// Field checks

function checkUint(value: unknown, field: string, max: bigint = MAX_UINT256, maxLabel = '2^256-1'): bigint {
  if (typeof value !== 'bigint') throw bad(`"${field}" must be a bigint`, field);
  if (value < 0n) throw bad(`"${field}" is negative`, field);
  if (value > max) throw bad(`"${field}" exceeds ${maxLabel}`, field);
  return value;
}

function checkBytes(value: unknown, field: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw bad(`"${field}" must be bytes`, field);
  if (length !== undefined && value.length !== length) throw bad(`"${field}" must be ${length} bytes, got ${value.length}`, field);
  return value;
}

function checkTo(value: unknown): void {
  if (value === null) return;
  checkBytes(value, 'to', 20);
}

function checkAccessList(value: unknown): void {
  if (!Array.isArray(value)) throw bad('"accessList" must be an array', 'accessList');
  value.forEach((entry: unknown, i) => {
    const name = `accessList[${i}]`;
    if (typeof entry !== 'object' || entry === null) throw bad(`"${name}" must be an object`, name);
    const e = entry as Partial<AccessListEntry>;
    checkBytes(e.address, `${name}.address`, 20);
    if (!Array.isArray(e.storageKeys)) throw bad(`"${name}.storageKeys" must be an array`, `${name}.storageKeys`);
    e.storageKeys.forEach((key: unknown, j) => checkBytes(key, `${name}.storageKeys[${j}]`, 32));
  });
}

/** What the encoding needs: types, widths and lengths. */
function assertEncodable(tx: EvmTx): void {
  if (typeof tx !== 'object' || tx === null) throw bad('transaction must be an object');
  switch (tx.type) {
    case 'legacy':
      if (tx.chainId !== null) checkUint(tx.chainId, 'chainId', MAX_LEGACY_CHAIN_ID, 'the EIP-155 maximum (v must fit in 256 bits)');
      checkUint(tx.gasPrice, 'gasPrice');
      break;
    case 'eip2930':
      checkUint(tx.chainId, 'chainId');
      checkUint(tx.gasPrice, 'gasPrice');
      checkAccessList(tx.accessList);
      break;
    case 'eip1559':
      checkUint(tx.chainId, 'chainId');
      checkUint(tx.maxPriorityFeePerGas, 'maxPriorityFeePerGas');
      checkUint(tx.maxFeePerGas, 'maxFeePerGas');
      checkAccessList(tx.accessList);
      break;
    default:
      throw bad(`unsupported transaction type ${JSON.stringify(String((tx as { type: unknown }).type))}`, 'type');
  }
  checkUint(tx.nonce, 'nonce');
  checkUint(tx.gasLimit, 'gasLimit');
  checkTo(tx.to);
  checkUint(tx.value, 'value');
  checkBytes(tx.data, 'data');
}

/**
 * Field bounds a chain enforces on top of the encoding: nonce < 2^64 (EIP-2681), gasLimit < 2^64,
 * every other integer ≤ 2^256-1, addresses 20 bytes, storage keys 32 bytes, chainId > 0 (a legacy
 * transaction may instead have none). Throws ApplianceError('bad_request') naming the field.
 */
export function validateTx(tx: EvmTx): void {
  assertEncodable(tx);
  checkUint(tx.nonce, 'nonce', MAX_UINT64, '2^64-1 (EIP-2681)');
  checkUint(tx.gasLimit, 'gasLimit', MAX_UINT64, '2^64-1');
  if (tx.chainId !== null && tx.chainId === 0n) throw bad('"chainId" must be positive', 'chainId');
}

function assertSignature(sig: TxSignature): void {
  if (typeof sig !== 'object' || sig === null) throw bad('signature must be an object');
  const r = checkUint(sig.r, 'r');
  const s = checkUint(sig.s, 's');
  if (sig.yParity !== 0 && sig.yParity !== 1) throw bad('"yParity" must be 0 or 1', 'yParity');
  checkSignatureValues(r, s);
}

function checkSignatureValues(r: bigint, s: bigint): void {
  if (r === 0n || r >= SECP256K1_ORDER) throw bad('"r" is out of range 1..n-1', 'r');
  if (s === 0n || s >= SECP256K1_ORDER) throw bad('"s" is out of range 1..n-1', 's');
  if (s > HALF_ORDER) throw bad('"s" is above n/2 (EIP-2 low-s)', 's');
}

// ---------------------------------------------------------------------------------------------
// Encoding

const toItem = (to: Address | null): Uint8Array => to ?? new Uint8Array(0);
const accessListItem = (list: AccessListEntry[]): RlpItem => list.map((e) => [e.address, [...e.storageKeys]]);

/** The RLP fields of the transaction body, without chain-id suffix or signature. */
function bodyFields(tx: EvmTx): RlpItem[] {
  const u = encodeUint;
  switch (tx.type) {
    case 'legacy':
      return [u(tx.nonce), u(tx.gasPrice), u(tx.gasLimit), toItem(tx.to), u(tx.value), tx.data];
    case 'eip2930':
      return [u(tx.chainId), u(tx.nonce), u(tx.gasPrice), u(tx.gasLimit), toItem(tx.to), u(tx.value), tx.data, accessListItem(tx.accessList)];
    case 'eip1559':
      return [u(tx.chainId), u(tx.nonce), u(tx.maxPriorityFeePerGas), u(tx.maxFeePerGas), u(tx.gasLimit), toItem(tx.to), u(tx.value), tx.data, accessListItem(tx.accessList)];
  }
}

function typed(typeByte: number, fields: RlpItem[]): Uint8Array {
  const body = encodeRlp(fields);
  const out = new Uint8Array(1 + body.length);
  out[0] = typeByte;
  out.set(body, 1);
  return out;
}

/**
 * The bytes a signature commits to: legacy EIP-155 rlp([nonce, gasPrice, gas, to, value, data,
 * chainId, 0, 0]), pre-EIP-155 the first six; typed: type byte ‖ rlp(fields).
 */
export function serializeUnsigned(tx: EvmTx): Uint8Array {
  assertEncodable(tx);
  const fields = bodyFields(tx);
  if (tx.type === 'legacy') {
    if (tx.chainId !== null) fields.push(encodeUint(tx.chainId), new Uint8Array(0), new Uint8Array(0));
    return encodeRlp(fields);
  }
  return typed(TYPE_BYTE[tx.type], fields);
}

/** keccak256(serializeUnsigned(tx)): the 32-byte digest the key signs. */
export function signingDigest(tx: EvmTx): Uint8Array {
  return keccak_256(serializeUnsigned(tx));
}

/**
 * The broadcastable transaction. Legacy v = chainId·2 + 35 + yParity (27 + yParity pre-EIP-155);
 * typed transactions carry yParity. The signature must be in range and low-s (EIP-2).
 */
export function serializeSigned(tx: EvmTx, sig: TxSignature): Uint8Array {
  assertEncodable(tx);
  assertSignature(sig);
  const fields = bodyFields(tx);
  const parity = BigInt(sig.yParity);
  if (tx.type === 'legacy') {
    const v = tx.chainId === null ? 27n + parity : tx.chainId * 2n + 35n + parity;
    fields.push(encodeUint(v), encodeUint(sig.r), encodeUint(sig.s));
    return encodeRlp(fields);
  }
  fields.push(encodeUint(parity), encodeUint(sig.r), encodeUint(sig.s));
  return typed(TYPE_BYTE[tx.type], fields);
}

/** keccak256 of the signed serialisation: the transaction hash a node reports. */
export function transactionHash(signed: Uint8Array): Uint8Array {
  return keccak_256(checkBytes(signed, 'transaction'));
}

// ---------------------------------------------------------------------------------------------
// Decoding

interface Envelope {
  kind: EvmTx['type'];
  fields: RlpItem[];
}

function openEnvelope(bytes: Uint8Array): Envelope {
  if (!(bytes instanceof Uint8Array)) throw bad('transaction must be bytes');
  if (bytes.length === 0) throw bad('transaction is empty');
  const first = bytes[0] as number;
  if (first >= 0xc0) return { kind: 'legacy', fields: asList(decodeRlp(bytes), 'transaction') };
  if (first >= 0x80) throw bad('transaction must be an RLP list or a typed envelope');
  let kind: 'eip2930' | 'eip1559';
  if (first === TYPE_BYTE.eip2930) kind = 'eip2930';
  else if (first === TYPE_BYTE.eip1559) kind = 'eip1559';
  else throw bad(`transaction type ${first} is not supported`, 'type');
  const payload = bytes.subarray(1);
  if (payload.length === 0 || (payload[0] as number) < 0xc0) throw bad('typed transaction payload must be an RLP list');
  return { kind, fields: asList(decodeRlp(payload), 'transaction') };
}

function asList(item: RlpItem, field: string): RlpItem[] {
  if (!Array.isArray(item)) throw bad(`"${field}" must be a list`, field);
  return item;
}

function asBytes(item: RlpItem, field: string): Uint8Array {
  if (!(item instanceof Uint8Array)) throw bad(`"${field}" must be a byte string, not a list`, field);
  return item;
}

function expectCount(fields: RlpItem[], expected: number, what: string): void {
  if (fields.length !== expected) throw bad(`${what} must have ${expected} fields, got ${fields.length}`);
}

function readTo(item: RlpItem): Address | null {
  const b = asBytes(item, 'to');
  if (b.length === 0) return null;
  if (b.length !== 20) throw bad(`"to" must be 20 bytes or empty, got ${b.length}`, 'to');
  return b;
}

function readAccessList(item: RlpItem): AccessListEntry[] {
  return asList(item, 'accessList').map((entryItem, i) => {
    const name = `accessList[${i}]`;
    const entry = asList(entryItem, name);
    if (entry.length !== 2) throw bad(`"${name}" must have 2 fields, got ${entry.length}`, name);
    const address = asBytes(entry[0] as RlpItem, `${name}.address`);
    if (address.length !== 20) throw bad(`"${name}.address" must be 20 bytes, got ${address.length}`, `${name}.address`);
    const storageKeys = asList(entry[1] as RlpItem, `${name}.storageKeys`).map((keyItem, j) => {
      const key = asBytes(keyItem, `${name}.storageKeys[${j}]`);
      if (key.length !== 32) throw bad(`"${name}.storageKeys[${j}]" must be 32 bytes, got ${key.length}`, `${name}.storageKeys[${j}]`);
      return key;
    });
    return { address, storageKeys };
  });
}

/** Decodes the body fields (everything but chain-id suffix and signature) of a transaction. */
function readBody(kind: Envelope['kind'], f: RlpItem[]): EvmTx {
  const at = (i: number): RlpItem => f[i] as RlpItem;
  switch (kind) {
    case 'legacy':
      return {
        type: 'legacy',
        chainId: null,
        nonce: decodeUint(at(0), 'nonce'),
        gasPrice: decodeUint(at(1), 'gasPrice'),
        gasLimit: decodeUint(at(2), 'gasLimit'),
        to: readTo(at(3)),
        value: decodeUint(at(4), 'value'),
        data: asBytes(at(5), 'data'),
      };
    case 'eip2930':
      return {
        type: 'eip2930',
        chainId: decodeUint(at(0), 'chainId'),
        nonce: decodeUint(at(1), 'nonce'),
        gasPrice: decodeUint(at(2), 'gasPrice'),
        gasLimit: decodeUint(at(3), 'gasLimit'),
        to: readTo(at(4)),
        value: decodeUint(at(5), 'value'),
        data: asBytes(at(6), 'data'),
        accessList: readAccessList(at(7)),
      };
    case 'eip1559':
      return {
        type: 'eip1559',
        chainId: decodeUint(at(0), 'chainId'),
        nonce: decodeUint(at(1), 'nonce'),
        maxPriorityFeePerGas: decodeUint(at(2), 'maxPriorityFeePerGas'),
        maxFeePerGas: decodeUint(at(3), 'maxFeePerGas'),
        gasLimit: decodeUint(at(4), 'gasLimit'),
        to: readTo(at(5)),
        value: decodeUint(at(6), 'value'),
        data: asBytes(at(7), 'data'),
        accessList: readAccessList(at(8)),
      };
  }
}

const BODY_FIELDS = { legacy: 6, eip2930: 8, eip1559: 9 } as const;
const NAMES = { legacy: 'legacy transaction', eip2930: 'EIP-2930 transaction', eip1559: 'EIP-1559 transaction' } as const;

/**
 * Decodes an unsigned transaction (the bytes serializeUnsigned produces) and validates it.
 * Legacy: 6 fields (pre-EIP-155) or 9 with chainId and two empty fields (EIP-155).
 */
export function decodeUnsigned(bytes: Uint8Array): EvmTx {
  const { kind, fields } = openEnvelope(bytes);
  const n = BODY_FIELDS[kind];
  if (kind === 'legacy') {
    if (fields.length !== n && fields.length !== n + 3) {
      throw bad(`unsigned legacy transaction must have ${n} or ${n + 3} fields, got ${fields.length}`);
    }
  } else {
    expectCount(fields, n, `unsigned ${NAMES[kind]}`);
  }
  const tx = readBody(kind, fields);
  if (tx.type === 'legacy' && fields.length === n + 3) {
    tx.chainId = decodeUint(fields[6] as RlpItem, 'chainId');
    for (const i of [7, 8]) {
      const b = asBytes(fields[i] as RlpItem, i === 7 ? 'r' : 's');
      if (b.length !== 0) throw bad('unsigned EIP-155 transaction must end with two empty fields', i === 7 ? 'r' : 's');
    }
  }
  validateTx(tx);
  return tx;
}

/**
 * Decodes a signed transaction and validates its fields and signature values: r in 1..n-1,
 * s in 1..n/2 (EIP-2), typed yParity 0 or 1, legacy v 27/28 or chainId·2 + 35/36 with chainId > 0.
 * Does not recover the sender.
 */
export function decodeSigned(bytes: Uint8Array): { tx: EvmTx; signature: TxSignature } {
  const { kind, fields } = openEnvelope(bytes);
  const n = BODY_FIELDS[kind];
  expectCount(fields, n + 3, `signed ${NAMES[kind]}`);
  const tx = readBody(kind, fields);
  const vField = kind === 'legacy' ? 'v' : 'yParity';
  const v = decodeUint(fields[n] as RlpItem, vField);
  const r = decodeUint(fields[n + 1] as RlpItem, 'r');
  const s = decodeUint(fields[n + 2] as RlpItem, 's');
  let yParity: 0 | 1;
  if (tx.type === 'legacy') {
    if (v === 27n || v === 28n) {
      yParity = v === 28n ? 1 : 0;
    } else if (v >= 35n) {
      tx.chainId = (v - 35n) / 2n;
      yParity = (v - 35n) % 2n === 1n ? 1 : 0;
      if (tx.chainId === 0n) throw bad('"v" implies chainId 0', 'v');
    } else {
      throw bad('"v" must be 27, 28 or chainId*2+35/36 (EIP-155)', 'v');
    }
  } else {
    if (v > 1n) throw bad('"yParity" must be 0 or 1', 'yParity');
    yParity = v === 1n ? 1 : 0;
  }
  validateTx(tx);
  checkSignatureValues(r, s);
  return { tx, signature: { r, s, yParity } };
}
