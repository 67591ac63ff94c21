// EIP-712 typed structured data: type encoding, struct hashing and the signing digest
// (https://eips.ethereum.org/EIPS/eip-712), plus a reading of what the common "permit" messages
// grant or move (EIP-2612, DAI-style permit, Uniswap Permit2, EIP-3009 transfer authorisations, Safe
// transactions). Pure: no I/O.
//
// Input is the JSON-like object wallets use (eth_signTypedData_v4). Validation is strict, so one
// object has exactly one reading:
// - type names and field names are identifiers, struct names cannot shadow atomic types, field
//   names are unique, every referenced type is defined, array dimensions are `[]` or `[n]`, n ≥ 1;
// - every declared field is present, no undeclared key is present (an unsigned key could
//   otherwise be shown to an approver as if it were signed), in the message and the domain alike;
// - integers (uint8..uint256, int8..int256) are JS safe integers, bigints, decimal strings or
//   0x hex strings (non-negative), within the range of their size;
// - `address` is 0x + 40 hex digits (mixed case must be a valid EIP-55 checksum) or 20 bytes;
//   `bytes`/`bytesN` are 0x hex of whole bytes or a Uint8Array, bytesN exactly N bytes;
//   `bool` is a boolean; `string` is a well-formed string (no lone surrogate) hashed as UTF-8;
// - arrays match their fixed size, structs and arrays nest at most MAX_DEPTH deep;
// - the EIP712Domain type, declared or inferred from the domain's keys, uses only the five
//   standard fields with their standard types (name string, version string, chainId uint256,
//   verifyingContract address, salt bytes32), so domainFacts always means what it says;
// - primaryType must be a declared struct other than EIP712Domain.
// Every failure is ApplianceError('bad_request') whose message and details name the field
// (e.g. "message.details[0].amount"); nothing else is ever thrown.
import { keccak_256 } from '@noble/hashes/sha3.js';
import { ApplianceError } from '../../protocol/errors.js';

export interface TypedDataField {
  name: string;
  type: string;
}

export interface TypedData {
  types: Record<string, TypedDataField[]>;
  primaryType: string;
  domain: Record<string, unknown>;
  message: Record<string, unknown>;
}

export interface TypedDomainFacts {
  chainId: bigint | null;
  verifyingContract: Uint8Array | null;
  name: string | null;
}

/** The Permit2 message layouts classifyTypedData reads (see PERMIT2_LAYOUTS below). */
export type Permit2Variant = 'PermitSingle' | 'PermitBatch' | 'PermitTransferFrom' | 'PermitBatchTransferFrom' | 'PermitWitnessTransferFrom' | 'PermitBatchWitnessTransferFrom';

export type TypedIntent =
  | {
      /** EIP-2612 Permit(owner,spender,value,nonce,deadline), or DAI's Permit(holder,spender,nonce,expiry,allowed). */
      kind: 'permit';
      /** The token: the domain's verifyingContract, null if the domain has none. */
      token: Uint8Array | null;
      owner: Uint8Array;
      spender: Uint8Array;
      value: bigint;
      deadline: bigint;
      nonce: bigint;
    }
  | {
      kind: 'permit2';
      spender: Uint8Array;
      /**
       * Allowance grants (PermitSingle/PermitBatch) carry the allowance's own `expiration` (uint48;
       * in Permit2, 0 means "this block only"); signature transfers (…TransferFrom) carry null.
       */
      tokens: { token: Uint8Array; amount: bigint; expiration: bigint | null }[];
      /** When the signature stops being usable: sigDeadline (allowance) or deadline (transfer). */
      deadline: bigint;
      variant: Permit2Variant;
    }
  | {
      /**
       * EIP-3009 TransferWithAuthorization or ReceiveWithAuthorization(address from,address to,
       * uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce): the signature itself
       * moves `value` of the token from `from` to `to`; judged as a transfer.
       */
      kind: 'eip3009';
      variant: Eip3009Variant;
      /** The token: the domain's verifyingContract, null if the domain has none. */
      token: Uint8Array | null;
      from: Uint8Array;
      to: Uint8Array;
      value: bigint;
      validAfter: bigint;
      validBefore: bigint;
      nonce: Uint8Array;
    }
  | {
      /**
       * A Safe transaction (Safe{Wallet} 1.3+: SafeTx(address to,uint256 value,bytes data,uint8
       * operation,uint256 safeTxGas,uint256 baseGas,uint256 gasPrice,address gasToken,address
       * refundReceiver,uint256 nonce)): the owner's signature lets the Safe, the domain's
       * verifyingContract, make this call once its threshold is met (evm/safe-tx.ts reads the call).
       */
      kind: 'safe-tx';
      /** The Safe: the domain's verifyingContract, null if the domain has none. */
      safe: Uint8Array | null;
      to: Uint8Array;
      value: bigint;
      data: Uint8Array;
      /** 0 call, 1 delegatecall (the Safe runs `to`'s code as its own). */
      operation: number;
      safeTxGas: bigint;
      baseGas: bigint;
      /** With gasToken and refundReceiver: the refund the Safe pays whoever executes it (0: none). */
      gasPrice: bigint;
      gasToken: Uint8Array;
      refundReceiver: Uint8Array;
      nonce: bigint;
    }
  | { kind: 'other'; primaryType: string };

/** The EIP-3009 authorisations that move tokens (CancelAuthorization moves none and is not read). */
export type Eip3009Variant = 'TransferWithAuthorization' | 'ReceiveWithAuthorization';

/** Structs and arrays nest at most this deep in a value (hostile input cannot exhaust the stack). */
export const MAX_DEPTH = 64;

const DOMAIN_TYPE = 'EIP712Domain';
const DOMAIN_FIELDS: readonly TypedDataField[] = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
  { name: 'salt', type: 'bytes32' },
];

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** Names that are, or look like, atomic types: never struct names. */
const ATOMIC_LIKE = /^(address|bool|string|bytes[0-9]*|u?int[0-9]*|u?fixed[0-9x]*|function)$/;
// Integers as text in their one canonical form: no leading zeros ("007", "0x00ff" are refused, as at
// the bridge's edge for transaction quantities), "0" and "0x0" for zero.
const DECIMAL = /^(0|-?[1-9][0-9]{0,77})$/;
const HEX_UINT = /^0x(0|[1-9a-fA-F][0-9a-fA-F]{0,63})$/;
const HEX_BYTES = /^0x(?:[0-9a-fA-F]{2})*$/;
const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;

function bad(message: string, field?: string): ApplianceError {
  return new ApplianceError('bad_request', `eip712: ${message}`, field === undefined ? undefined : { field });
}

/** Runs fn and turns anything that is not an ApplianceError into bad_request (last line of defence). */
function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ApplianceError) throw e;
    throw new ApplianceError('bad_request', 'eip712: typed data could not be processed', undefined, { cause: e });
  }
}

// ---------------------------------------------------------------------------------------------
// Byte helpers

function concatWords(words: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(32 * words.length);
  words.forEach((w, i) => out.set(w, 32 * i));
  return out;
}

function hexToBytesStrict(hex: string): Uint8Array {
  const out = new Uint8Array((hex.length - 2) / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 + 2 * i, 4 + 2 * i), 16);
  return out;
}

/** UTF-8 of a well-formed string; a lone surrogate is refused rather than replaced. */
function utf8(s: string, field: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c > 0xdbff || next < 0xdc00 || next > 0xdfff) throw bad(`"${field}" is not a well-formed string (lone surrogate at ${i})`, field);
      c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
      i++;
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Uint8Array.from(out);
}

function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0x7f;
  return out;
}

function uintWord(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = n;
  for (let i = 31; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Value parsers (each names the field it reads)

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function readInteger(v: unknown, field: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw bad(`"${field}" must be an integer (a JS number must be a safe integer)`, field);
    return BigInt(v);
  }
  if (typeof v === 'string') {
    if (DECIMAL.test(v) || HEX_UINT.test(v)) return BigInt(v);
    throw bad(`"${field}" must be a decimal or 0x hex integer string without leading zeros`, field);
  }
  throw bad(`"${field}" must be an integer`, field);
}

function readBytes(v: unknown, field: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string' && HEX_BYTES.test(v)) return hexToBytesStrict(v);
  throw bad(`"${field}" must be 0x hex of whole bytes`, field);
}

function checksumOk(hex40: string): boolean {
  const lower = hex40.toLowerCase();
  const hash = keccak_256(asciiBytes(lower));
  for (let i = 0; i < 40; i++) {
    const ch = hex40[i] as string;
    if (ch >= '0' && ch <= '9') continue;
    const nibble = ((hash[i >> 1] as number) >> (i % 2 === 0 ? 4 : 0)) & 0x0f;
    const upper = ch >= 'A' && ch <= 'F';
    if (upper !== nibble >= 8) return false;
  }
  return true;
}

function readAddress(v: unknown, field: string): Uint8Array {
  if (v instanceof Uint8Array) {
    if (v.length !== 20) throw bad(`"${field}" must be 20 bytes, got ${v.length}`, field);
    return v;
  }
  if (typeof v !== 'string' || !HEX_ADDRESS.test(v)) throw bad(`"${field}" must be an address (0x + 40 hex digits)`, field);
  const digits = v.slice(2);
  const mixed = /[a-f]/.test(digits) && /[A-F]/.test(digits);
  if (mixed && !checksumOk(digits)) throw bad(`"${field}" has an invalid EIP-55 checksum`, field);
  return hexToBytesStrict(`0x${digits}`);
}

function readString(v: unknown, field: string): string {
  if (typeof v !== 'string') throw bad(`"${field}" must be a string`, field);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Types

type ParsedType =
  | { kind: 'uint' | 'int'; bits: number }
  | { kind: 'bool' | 'address' | 'string' | 'bytes' }
  | { kind: 'fixedBytes'; size: number }
  | { kind: 'struct'; name: string }
  | { kind: 'array'; element: string; length: number | null };

function parseAtomic(type: string): ParsedType | null {
  if (type === 'bool' || type === 'address' || type === 'string' || type === 'bytes') return { kind: type };
  let m = /^(u?int)([1-9][0-9]{0,2})$/.exec(type);
  if (m !== null) {
    const bits = Number(m[2]);
    if (bits % 8 !== 0 || bits > 256) return null;
    return { kind: m[1] === 'uint' ? 'uint' : 'int', bits };
  }
  m = /^bytes([1-9][0-9]?)$/.exec(type);
  if (m !== null) {
    const size = Number(m[1]);
    return size <= 32 ? { kind: 'fixedBytes', size } : null;
  }
  return null;
}

interface Context {
  /** Every struct type, EIP712Domain included (declared or inferred). */
  types: Map<string, readonly TypedDataField[]>;
  parsed: Map<string, ParsedType>;
  typeHashes: Map<string, Uint8Array>;
}

/** Parses a field type (already validated when the context was built). */
function parseType(ctx: Context, type: string, field: string): ParsedType {
  const cached = ctx.parsed.get(type);
  if (cached !== undefined) return cached;
  let parsed: ParsedType;
  if (type.endsWith(']')) {
    const open = type.lastIndexOf('[');
    const dim = type.slice(open + 1, -1);
    const element = type.slice(0, open);
    if (open <= 0 || !(dim === '' || /^[1-9][0-9]{0,8}$/.test(dim))) throw bad(`"${field}" has an invalid array type "${type}"`, field);
    parsed = { kind: 'array', element, length: dim === '' ? null : Number(dim) };
  } else {
    const atomic = parseAtomic(type);
    if (atomic !== null) parsed = atomic;
    else if (ctx.types.has(type)) parsed = { kind: 'struct', name: type };
    else throw bad(`"${field}" has an unknown type "${type}"`, field);
  }
  ctx.parsed.set(type, parsed);
  return parsed;
}

/** The struct name (or atomic type) under all array dimensions of a type. */
function baseType(type: string): string {
  const open = type.indexOf('[');
  return open < 0 ? type : type.slice(0, open);
}

function validateFieldType(ctx: Context, type: string, field: string): void {
  let t = type;
  for (;;) {
    const p = parseType(ctx, t, field);
    if (p.kind !== 'array') return;
    t = p.element;
  }
}

function readFields(raw: unknown, where: string): TypedDataField[] {
  if (!Array.isArray(raw)) throw bad(`"${where}" must be an array of fields`, where);
  const seen = new Set<string>();
  return raw.map((f: unknown, i) => {
    const at = `${where}[${i}]`;
    if (!isRecord(f)) throw bad(`"${at}" must be an object with a name and a type`, at);
    const { name, type } = f;
    if (typeof name !== 'string' || !IDENTIFIER.test(name)) throw bad(`"${at}.name" must be an identifier`, `${at}.name`);
    if (typeof type !== 'string' || type.length === 0) throw bad(`"${at}.type" must be a type name`, `${at}.type`);
    if (seen.has(name)) throw bad(`"${at}.name" repeats field "${name}"`, `${at}.name`);
    seen.add(name);
    return { name, type };
  });
}

function inferDomainFields(domain: Record<string, unknown>): TypedDataField[] {
  for (const key of Object.keys(domain)) {
    if (domain[key] !== undefined && !DOMAIN_FIELDS.some((f) => f.name === key)) {
      throw bad(`"domain.${key}" is not an EIP712Domain field`, `domain.${key}`);
    }
  }
  return DOMAIN_FIELDS.filter((f) => Object.hasOwn(domain, f.name) && domain[f.name] !== undefined);
}

function checkDeclaredDomain(fields: readonly TypedDataField[]): void {
  fields.forEach((f, i) => {
    const standard = DOMAIN_FIELDS.find((d) => d.name === f.name);
    const at = `types.${DOMAIN_TYPE}[${i}]`;
    if (standard === undefined) throw bad(`"${at}" declares "${f.name}", not a standard EIP712Domain field`, at);
    if (standard.type !== f.type) throw bad(`"${at}" declares ${f.name} as ${f.type}, must be ${standard.type}`, at);
  });
}

function buildContext(td: TypedData): Context {
  if (!isRecord(td)) throw bad('typed data must be an object', 'typedData');
  const { types, primaryType, domain, message } = td as unknown as Record<string, unknown>;
  if (!isRecord(types)) throw bad('"types" must be an object', 'types');
  if (!isRecord(domain)) throw bad('"domain" must be an object', 'domain');
  if (!isRecord(message)) throw bad('"message" must be an object', 'message');
  if (typeof primaryType !== 'string') throw bad('"primaryType" must be a string', 'primaryType');

  const ctx: Context = { types: new Map(), parsed: new Map(), typeHashes: new Map() };
  for (const name of Object.keys(types)) {
    if (!IDENTIFIER.test(name) || ATOMIC_LIKE.test(name)) throw bad(`"types.${name}" is not a valid struct name`, `types.${name}`);
    ctx.types.set(name, readFields(types[name], `types.${name}`));
  }
  const declaredDomain = ctx.types.get(DOMAIN_TYPE);
  if (declaredDomain !== undefined) checkDeclaredDomain(declaredDomain);
  else ctx.types.set(DOMAIN_TYPE, inferDomainFields(domain));
  for (const [name, fields] of ctx.types) {
    fields.forEach((f, i) => validateFieldType(ctx, f.type, `types.${name}[${i}].type`));
  }
  if (primaryType === DOMAIN_TYPE) throw bad(`"primaryType" must not be ${DOMAIN_TYPE}`, 'primaryType');
  if (!Object.hasOwn(types, primaryType)) throw bad(`"primaryType" ${JSON.stringify(primaryType)} is not a declared type`, 'primaryType');
  return ctx;
}

function structFields(ctx: Context, type: string): readonly TypedDataField[] {
  const fields = ctx.types.get(type);
  if (fields === undefined) throw bad(`unknown struct type ${JSON.stringify(type)}`, 'type');
  return fields;
}

function encodeTypeIn(ctx: Context, primary: string): string {
  structFields(ctx, primary);
  const seen = new Set<string>([primary]);
  const stack = [primary];
  while (stack.length > 0) {
    for (const f of structFields(ctx, stack.pop() as string)) {
      const base = baseType(f.type);
      if (ctx.types.has(base) && !seen.has(base)) {
        seen.add(base);
        stack.push(base);
      }
    }
  }
  const deps = [...seen].filter((t) => t !== primary).sort();
  return [primary, ...deps]
    .map(
      (t) =>
        `${t}(${structFields(ctx, t)
          .map((f) => `${f.type} ${f.name}`)
          .join(',')})`,
    )
    .join('');
}

function typeHashIn(ctx: Context, type: string): Uint8Array {
  let h = ctx.typeHashes.get(type);
  if (h === undefined) {
    h = keccak_256(asciiBytes(encodeTypeIn(ctx, type)));
    ctx.typeHashes.set(type, h);
  }
  return h;
}

// ---------------------------------------------------------------------------------------------
// Values

function encodeValue(ctx: Context, type: string, v: unknown, field: string, depth: number): Uint8Array {
  if (v === undefined) throw bad(`"${field}" is missing`, field);
  const t = parseType(ctx, type, field);
  switch (t.kind) {
    case 'struct':
      return keccak_256(encodeDataIn(ctx, t.name, v, field, depth + 1));
    case 'array': {
      if (depth + 1 > MAX_DEPTH) throw bad(`"${field}" nests deeper than ${MAX_DEPTH}`, field);
      if (!Array.isArray(v)) throw bad(`"${field}" must be an array`, field);
      if (t.length !== null && v.length !== t.length) throw bad(`"${field}" must have ${t.length} element(s), got ${v.length}`, field);
      const words: Uint8Array[] = [];
      for (let i = 0; i < v.length; i++) words.push(encodeValue(ctx, t.element, v[i], `${field}[${i}]`, depth + 1));
      return keccak_256(concatWords(words));
    }
    case 'string':
      return keccak_256(utf8(readString(v, field), field));
    case 'bytes':
      return keccak_256(readBytes(v, field));
    case 'fixedBytes': {
      const b = readBytes(v, field);
      if (b.length !== t.size) throw bad(`"${field}" must be ${t.size} bytes, got ${b.length}`, field);
      const out = new Uint8Array(32);
      out.set(b);
      return out;
    }
    case 'bool':
      if (typeof v !== 'boolean') throw bad(`"${field}" must be a boolean`, field);
      return uintWord(v ? 1n : 0n);
    case 'address': {
      const out = new Uint8Array(32);
      out.set(readAddress(v, field), 12);
      return out;
    }
    case 'uint': {
      const n = readInteger(v, field);
      if (n < 0n || n >= 1n << BigInt(t.bits)) throw bad(`"${field}" is out of range for uint${t.bits}`, field);
      return uintWord(n);
    }
    case 'int': {
      const n = readInteger(v, field);
      const half = 1n << BigInt(t.bits - 1);
      if (n < -half || n >= half) throw bad(`"${field}" is out of range for int${t.bits}`, field);
      return uintWord(n < 0n ? (1n << 256n) + n : n);
    }
  }
}

/** encodeData of a struct value: typeHash ‖ one word per field. */
function encodeDataIn(ctx: Context, type: string, v: unknown, field: string, depth: number): Uint8Array {
  if (depth > MAX_DEPTH) throw bad(`"${field}" nests deeper than ${MAX_DEPTH}`, field);
  const fields = structFields(ctx, type);
  if (!isRecord(v)) throw bad(`"${field}" must be an object (struct ${type})`, field);
  for (const key of Object.keys(v)) {
    if (v[key] !== undefined && !fields.some((f) => f.name === key)) throw bad(`"${field}.${key}" is not a field of ${type}`, `${field}.${key}`);
  }
  const words = [typeHashIn(ctx, type)];
  for (const f of fields) {
    const at = `${field}.${f.name}`;
    if (!Object.hasOwn(v, f.name)) throw bad(`"${at}" is missing`, at);
    words.push(encodeValue(ctx, f.type, v[f.name], at, depth));
  }
  return concatWords(words);
}

function domainSeparatorIn(ctx: Context, td: TypedData): Uint8Array {
  return keccak_256(encodeDataIn(ctx, DOMAIN_TYPE, td.domain, 'domain', 0));
}

function digestIn(ctx: Context, td: TypedData): Uint8Array {
  const pre = new Uint8Array(66);
  pre[0] = 0x19;
  pre[1] = 0x01;
  pre.set(domainSeparatorIn(ctx, td), 2);
  pre.set(keccak_256(encodeDataIn(ctx, td.primaryType, td.message, 'message', 0)), 34);
  return keccak_256(pre);
}

/** The policy-relevant domain fields of an already validated domain. */
function domainFactsIn(td: TypedData): TypedDomainFacts {
  const d = td.domain;
  const has = (k: string): boolean => Object.hasOwn(d, k) && d[k] !== undefined;
  return {
    chainId: has('chainId') ? readInteger(d['chainId'], 'domain.chainId') : null,
    verifyingContract: has('verifyingContract') ? readAddress(d['verifyingContract'], 'domain.verifyingContract') : null,
    name: has('name') ? readString(d['name'], 'domain.name') : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Public API

/** encodeType: "Primary(type name,…)" followed by every referenced struct, sorted by name. */
export function encodeType(td: TypedData, type: string): string {
  return guarded(() => encodeTypeIn(buildContext(td), type));
}

/** typeHash = keccak256(encodeType(type)). */
export function typeHash(td: TypedData, type: string): Uint8Array {
  return guarded(() => typeHashIn(buildContext(td), type));
}

/** encodeData(type, value) with the type hash in front: typeHash ‖ enc(field 1) ‖ … ‖ enc(field n). */
export function encodeData(td: TypedData, type: string, value: Record<string, unknown>): Uint8Array {
  return guarded(() => encodeDataIn(buildContext(td), type, value, type === DOMAIN_TYPE ? 'domain' : 'message', 0));
}

/** hashStruct(type, value) = keccak256(typeHash ‖ encodeData(value)). */
export function hashStruct(td: TypedData, type: string, value: Record<string, unknown>): Uint8Array {
  return guarded(() => keccak_256(encodeDataIn(buildContext(td), type, value, type === DOMAIN_TYPE ? 'domain' : 'message', 0)));
}

/** The domain separator: hashStruct(EIP712Domain, domain), the type inferred from the domain's keys if not declared. */
export function hashDomain(td: TypedData): Uint8Array {
  return guarded(() => domainSeparatorIn(buildContext(td), td));
}

/** What is signed: keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(primaryType, message)). Validates all of td. */
export function typedDataDigest(td: TypedData): Uint8Array {
  return guarded(() => digestIn(buildContext(td), td));
}

/** The domain fields a policy checks, after validating the domain. */
export function domainFacts(td: TypedData): TypedDomainFacts {
  return guarded(() => {
    domainSeparatorIn(buildContext(td), td);
    return domainFactsIn(td);
  });
}

// ---------------------------------------------------------------------------------------------
// Classification

type Layout = readonly (readonly [name: string, type: string])[];

/** Same fields (name and type), in any order: a field is read by its name. */
function sameLayout(fields: readonly TypedDataField[] | undefined, layout: Layout): boolean {
  if (fields === undefined || fields.length !== layout.length) return false;
  return layout.every(([name, type]) => fields.some((f) => f.name === name && f.type === type));
}

/** `layout` plus exactly one more field (Permit2's witness, whatever its name and type). */
function layoutPlusOne(fields: readonly TypedDataField[] | undefined, layout: Layout): boolean {
  if (fields === undefined || fields.length !== layout.length + 1) return false;
  return sameLayout(
    fields.filter((f) => layout.some(([name]) => name === f.name)),
    layout,
  );
}

const EIP2612_PERMIT: Layout = [
  ['owner', 'address'],
  ['spender', 'address'],
  ['value', 'uint256'],
  ['nonce', 'uint256'],
  ['deadline', 'uint256'],
];
const DAI_PERMIT: Layout = [
  ['holder', 'address'],
  ['spender', 'address'],
  ['nonce', 'uint256'],
  ['expiry', 'uint256'],
  ['allowed', 'bool'],
];

// Uniswap Permit2 (https://github.com/Uniswap/permit2): AllowanceTransfer and SignatureTransfer.
const PERMIT_DETAILS: Layout = [
  ['token', 'address'],
  ['amount', 'uint160'],
  ['expiration', 'uint48'],
  ['nonce', 'uint48'],
];
const TOKEN_PERMISSIONS: Layout = [
  ['token', 'address'],
  ['amount', 'uint256'],
];
const PERMIT2_LAYOUTS: Readonly<Record<Permit2Variant, { fields: Layout; nested: [string, Layout]; witness: boolean }>> = {
  PermitSingle: {
    fields: [
      ['details', 'PermitDetails'],
      ['spender', 'address'],
      ['sigDeadline', 'uint256'],
    ],
    nested: ['PermitDetails', PERMIT_DETAILS],
    witness: false,
  },
  PermitBatch: {
    fields: [
      ['details', 'PermitDetails[]'],
      ['spender', 'address'],
      ['sigDeadline', 'uint256'],
    ],
    nested: ['PermitDetails', PERMIT_DETAILS],
    witness: false,
  },
  PermitTransferFrom: {
    fields: [
      ['permitted', 'TokenPermissions'],
      ['spender', 'address'],
      ['nonce', 'uint256'],
      ['deadline', 'uint256'],
    ],
    nested: ['TokenPermissions', TOKEN_PERMISSIONS],
    witness: false,
  },
  PermitBatchTransferFrom: {
    fields: [
      ['permitted', 'TokenPermissions[]'],
      ['spender', 'address'],
      ['nonce', 'uint256'],
      ['deadline', 'uint256'],
    ],
    nested: ['TokenPermissions', TOKEN_PERMISSIONS],
    witness: false,
  },
  PermitWitnessTransferFrom: {
    fields: [
      ['permitted', 'TokenPermissions'],
      ['spender', 'address'],
      ['nonce', 'uint256'],
      ['deadline', 'uint256'],
    ],
    nested: ['TokenPermissions', TOKEN_PERMISSIONS],
    witness: true,
  },
  PermitBatchWitnessTransferFrom: {
    fields: [
      ['permitted', 'TokenPermissions[]'],
      ['spender', 'address'],
      ['nonce', 'uint256'],
      ['deadline', 'uint256'],
    ],
    nested: ['TokenPermissions', TOKEN_PERMISSIONS],
    witness: true,
  },
};

// EIP-3009 (https://eips.ethereum.org/EIPS/eip-3009), as USDC implements it.
const EIP3009_AUTHORIZATION: Layout = [
  ['from', 'address'],
  ['to', 'address'],
  ['value', 'uint256'],
  ['validAfter', 'uint256'],
  ['validBefore', 'uint256'],
  ['nonce', 'bytes32'],
];

// Safe{Wallet} (https://github.com/safe-global/safe-smart-account, Safe.sol SAFE_TX_TYPEHASH).
const SAFE_TX: Layout = [
  ['to', 'address'],
  ['value', 'uint256'],
  ['data', 'bytes'],
  ['operation', 'uint8'],
  ['safeTxGas', 'uint256'],
  ['baseGas', 'uint256'],
  ['gasPrice', 'uint256'],
  ['gasToken', 'address'],
  ['refundReceiver', 'address'],
  ['nonce', 'uint256'],
];

const MAX_UINT256 = (1n << 256n) - 1n;

function classifyIn(ctx: Context, td: TypedData): TypedIntent {
  const primary = td.primaryType;
  const m = td.message;
  const fields = ctx.types.get(primary);
  if (primary === 'Permit' && sameLayout(fields, EIP2612_PERMIT)) {
    return {
      kind: 'permit',
      token: domainFactsIn(td).verifyingContract,
      owner: readAddress(m['owner'], 'message.owner'),
      spender: readAddress(m['spender'], 'message.spender'),
      value: readInteger(m['value'], 'message.value'),
      deadline: readInteger(m['deadline'], 'message.deadline'),
      nonce: readInteger(m['nonce'], 'message.nonce'),
    };
  }
  if (primary === 'Permit' && sameLayout(fields, DAI_PERMIT)) {
    // DAI: allowed=true grants an unlimited allowance, false revokes it; expiry 0 never expires.
    const expiry = readInteger(m['expiry'], 'message.expiry');
    return {
      kind: 'permit',
      token: domainFactsIn(td).verifyingContract,
      owner: readAddress(m['holder'], 'message.holder'),
      spender: readAddress(m['spender'], 'message.spender'),
      value: m['allowed'] === true ? MAX_UINT256 : 0n,
      deadline: expiry === 0n ? MAX_UINT256 : expiry,
      nonce: readInteger(m['nonce'], 'message.nonce'),
    };
  }
  if ((primary === 'TransferWithAuthorization' || primary === 'ReceiveWithAuthorization') && sameLayout(fields, EIP3009_AUTHORIZATION)) {
    return {
      kind: 'eip3009',
      variant: primary,
      token: domainFactsIn(td).verifyingContract,
      from: readAddress(m['from'], 'message.from'),
      to: readAddress(m['to'], 'message.to'),
      value: readInteger(m['value'], 'message.value'),
      validAfter: readInteger(m['validAfter'], 'message.validAfter'),
      validBefore: readInteger(m['validBefore'], 'message.validBefore'),
      nonce: readBytes(m['nonce'], 'message.nonce'),
    };
  }
  if (primary === 'SafeTx' && sameLayout(fields, SAFE_TX)) {
    return {
      kind: 'safe-tx',
      safe: domainFactsIn(td).verifyingContract,
      to: readAddress(m['to'], 'message.to'),
      value: readInteger(m['value'], 'message.value'),
      data: readBytes(m['data'], 'message.data'),
      operation: Number(readInteger(m['operation'], 'message.operation')),
      safeTxGas: readInteger(m['safeTxGas'], 'message.safeTxGas'),
      baseGas: readInteger(m['baseGas'], 'message.baseGas'),
      gasPrice: readInteger(m['gasPrice'], 'message.gasPrice'),
      gasToken: readAddress(m['gasToken'], 'message.gasToken'),
      refundReceiver: readAddress(m['refundReceiver'], 'message.refundReceiver'),
      nonce: readInteger(m['nonce'], 'message.nonce'),
    };
  }
  if (Object.hasOwn(PERMIT2_LAYOUTS, primary)) {
    const variant = primary as Permit2Variant;
    const layout = PERMIT2_LAYOUTS[variant];
    const [nestedName, nestedLayout] = layout.nested;
    const fieldsMatch = layout.witness ? layoutPlusOne(fields, layout.fields) : sameLayout(fields, layout.fields);
    if (fieldsMatch && sameLayout(ctx.types.get(nestedName), nestedLayout)) {
      const allowance = variant === 'PermitSingle' || variant === 'PermitBatch';
      const listField = allowance ? 'details' : 'permitted';
      const raw = m[listField];
      const entries = Array.isArray(raw) ? raw.map((e, i) => [e, `message.${listField}[${i}]`] as const) : [[raw, `message.${listField}`] as const];
      const tokens = entries.map(([e, at]) => {
        const r = e as Record<string, unknown>;
        return {
          token: readAddress(r['token'], `${at}.token`),
          amount: readInteger(r['amount'], `${at}.amount`),
          expiration: allowance ? readInteger(r['expiration'], `${at}.expiration`) : null,
        };
      });
      const deadlineField = allowance ? 'sigDeadline' : 'deadline';
      return {
        kind: 'permit2',
        spender: readAddress(m['spender'], 'message.spender'),
        tokens,
        deadline: readInteger(m[deadlineField], `message.${deadlineField}`),
        variant,
      };
    }
  }
  return { kind: 'other', primaryType: primary };
}

/**
 * What a typed-data signature grants, after validating all of td (as typedDataDigest does):
 * - 'permit': EIP-2612 Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline),
 *   or DAI's Permit(address holder,address spender,uint256 nonce,uint256 expiry,bool allowed) read as
 *   value = allowed ? 2^256-1 : 0 and deadline = expiry, or 2^256-1 when expiry is 0 (never expires);
 * - 'permit2': Uniswap Permit2, by primaryType and exact field layout (field order free, nested
 *   struct names as in Permit2):
 *   AllowanceTransfer PermitSingle(PermitDetails details,address spender,uint256 sigDeadline) and
 *   PermitBatch(PermitDetails[] details,…) with PermitDetails(address token,uint160 amount,uint48
 *   expiration,uint48 nonce); SignatureTransfer PermitTransferFrom(TokenPermissions permitted,address
 *   spender,uint256 nonce,uint256 deadline), PermitBatchTransferFrom(TokenPermissions[] permitted,…)
 *   with TokenPermissions(address token,uint256 amount), and their …WitnessTransferFrom forms (the same
 *   fields plus exactly one witness field of any name and type);
 * - 'eip3009': EIP-3009 TransferWithAuthorization / ReceiveWithAuthorization(address from,address to,
 *   uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce), token = the domain's
 *   verifyingContract: a transfer of `value` from `from` to `to`;
 * - 'safe-tx': a Safe transaction, SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256
 *   safeTxGas,uint256 baseGas,uint256 gasPrice,address gasToken,address refundReceiver,uint256 nonce),
 *   safe = the domain's verifyingContract: the call the Safe makes once enough owners signed;
 * - 'other': anything else, including a Permit-named type with another layout. 'other' means "not
 *   understood", never "harmless".
 * The domain is not consulted for the kind (a Permit2 layout under any domain is read as Permit2).
 */
export function classifyTypedData(td: TypedData): TypedIntent {
  return guarded(() => {
    const ctx = buildContext(td);
    digestIn(ctx, td);
    return classifyIn(ctx, td);
  });
}
