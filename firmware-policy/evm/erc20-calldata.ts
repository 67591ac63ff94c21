// ERC-20 calldata: what a call to a token contract does. Pure: no I/O.
// Specs: ERC-20 (https://eips.ethereum.org/EIPS/eip-20) for transfer, transferFrom and approve;
// OpenZeppelin's increaseAllowance (not in the standard, but a common way to grant allowance);
// the Solidity contract ABI (https://docs.soliditylang.org/en/latest/abi-spec.html) for the layout:
// 4-byte selector = first bytes of keccak256 of the signature, then one 32-byte word per argument.
//
// Decoding is strict, so a call has one reading and one encoding: the data must be exactly
// 4 + 32·n bytes (no trailing bytes, which some tokens ignore and would let two different byte
// strings mean the same thing), address words must carry 12 zero bytes of left padding. Any other
// selector is returned as 'unknown' for the policy to judge. Every failure is
// ApplianceError('bad_request') whose message and details name the field.
import { ApplianceError } from '../../protocol/errors.js';

export type TokenCall =
  | { kind: 'transfer'; recipient: Uint8Array; amount: bigint }
  | { kind: 'transferFrom'; from: Uint8Array; recipient: Uint8Array; amount: bigint }
  | { kind: 'approve'; spender: Uint8Array; amount: bigint }
  | { kind: 'increaseAllowance'; spender: Uint8Array; amount: bigint }
  | { kind: 'unknown'; selector: Uint8Array /* 4 bytes */ };

export type KnownTokenCallKind = Exclude<TokenCall['kind'], 'unknown'>;

/** 2^256 - 1: the "unlimited" allowance most wallets offer. */
export const MAX_UINT256 = (1n << 256n) - 1n;

/** Selectors as lowercase hex (no 0x); the test recomputes each from its signature with keccak. */
export const TOKEN_CALL_SELECTORS: Readonly<Record<KnownTokenCallKind, string>> = {
  transfer: 'a9059cbb', // transfer(address,uint256)
  transferFrom: '23b872dd', // transferFrom(address,address,uint256)
  approve: '095ea7b3', // approve(address,uint256)
  increaseAllowance: '39509351', // increaseAllowance(address,uint256)
};

/** The canonical signatures the selectors are computed from. */
export const TOKEN_CALL_SIGNATURES: Readonly<Record<KnownTokenCallKind, string>> = {
  transfer: 'transfer(address,uint256)',
  transferFrom: 'transferFrom(address,address,uint256)',
  approve: 'approve(address,uint256)',
  increaseAllowance: 'increaseAllowance(address,uint256)',
};

/** Argument names and ABI types, in order, per known call. */
const ARGUMENTS: Readonly<Record<KnownTokenCallKind, readonly (readonly [string, 'address' | 'uint256'])[]>> = {
  transfer: [
    ['recipient', 'address'],
    ['amount', 'uint256'],
  ],
  transferFrom: [
    ['from', 'address'],
    ['recipient', 'address'],
    ['amount', 'uint256'],
  ],
  approve: [
    ['spender', 'address'],
    ['amount', 'uint256'],
  ],
  increaseAllowance: [
    ['spender', 'address'],
    ['amount', 'uint256'],
  ],
};

const WORD = 32;
const ADDRESS_PADDING = 12;

function bad(message: string, field: string, details: Record<string, unknown> = {}): ApplianceError {
  return new ApplianceError('bad_request', `erc20 calldata: ${message}`, { field, ...details });
}

function selectorHex(data: Uint8Array): string {
  let s = '';
  for (let i = 0; i < 4; i++) s += (data[i] as number).toString(16).padStart(2, '0');
  return s;
}

function kindOf(selector: string): KnownTokenCallKind | null {
  for (const kind of Object.keys(TOKEN_CALL_SELECTORS) as KnownTokenCallKind[]) {
    if (TOKEN_CALL_SELECTORS[kind] === selector) return kind;
  }
  return null;
}

function readAddress(word: Uint8Array, field: string): Uint8Array {
  for (let i = 0; i < ADDRESS_PADDING; i++) {
    if (word[i] !== 0) throw bad(`"${field}" is not a valid address word (its first 12 bytes must be zero)`, field);
  }
  return word.slice(ADDRESS_PADDING);
}

function readUint256(word: Uint8Array): bigint {
  let n = 0n;
  for (const b of word) n = (n << 8n) | BigInt(b);
  return n;
}

/**
 * Decodes ERC-20 calldata. Returns null for empty data (a plain value transfer), 'unknown' with
 * the selector for any call it does not know, and throws bad_request for data shorter than a
 * selector or a known call whose arguments are not strictly ABI-encoded.
 */
export function decodeTokenCall(data: Uint8Array): TokenCall | null {
  if (!(data instanceof Uint8Array)) throw bad('data must be bytes', 'data');
  if (data.length === 0) return null;
  if (data.length < 4) throw bad(`data of ${data.length} byte(s) is shorter than a 4-byte selector`, 'selector', { length: data.length });
  const kind = kindOf(selectorHex(data));
  if (kind === null) return { kind: 'unknown', selector: data.slice(0, 4) };

  const args = ARGUMENTS[kind];
  const expected = 4 + WORD * args.length;
  if (data.length !== expected) {
    const which = data.length < expected ? 'is truncated' : `has ${data.length - expected} trailing byte(s)`;
    throw bad(`${TOKEN_CALL_SIGNATURES[kind]} must be ${expected} bytes, got ${data.length}: data ${which}`, 'data', {
      length: data.length,
      expected,
    });
  }
  const values: Record<string, Uint8Array | bigint> = {};
  args.forEach(([name, type], i) => {
    const word = data.subarray(4 + WORD * i, 4 + WORD * (i + 1));
    values[name] = type === 'address' ? readAddress(word, name) : readUint256(word);
  });
  const addr = (name: string): Uint8Array => values[name] as Uint8Array;
  const amount = values['amount'] as bigint;
  switch (kind) {
    case 'transfer':
      return { kind, recipient: addr('recipient'), amount };
    case 'transferFrom':
      return { kind, from: addr('from'), recipient: addr('recipient'), amount };
    case 'approve':
      return { kind, spender: addr('spender'), amount };
    case 'increaseAllowance':
      return { kind, spender: addr('spender'), amount };
  }
}
