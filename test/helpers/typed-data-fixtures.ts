// EIP-712 typed data the tests and the red team ask the device to sign: an ERC-20's EIP-2612 Permit,
// Uniswap Permit2's allowance forms (PermitSingle, PermitBatch) and SignatureTransfer forms
// (PermitTransferFrom, PermitBatchTransferFrom and their witness forms), and EIP-3009's
// TransferWithAuthorization. Each builder takes what varies between callers (domain, parties,
// amounts, nonces); a caller that needs a variant on purpose (no EIP712Domain in `types`, a
// look-alike primary type, an extra field) says so at its call site. Amounts, numeric nonces and
// deadlines are written as decimal strings, as a JSON client sends them.

export interface TypedField {
  name: string;
  type: string;
}

/** A deadline far in the future (2100-01-01), for messages that must not expire during a test. */
export const FAR_DEADLINE = 4102444800n;
/** Uniswap Permit2's address (the same on every chain it is deployed to). */
export const PERMIT2_ADDRESS = '0x000000000022D473030F116dDEE9F6B43aC78BA3';

/** EIP712Domain of a token's own domain (EIP-2612, EIP-3009): name, version, chainId, verifyingContract. */
export const TOKEN_DOMAIN_TYPE: TypedField[] = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
];
/** EIP712Domain of Permit2's domain: no version. */
export const PERMIT2_DOMAIN_TYPE: TypedField[] = [
  { name: 'name', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
];
export const PERMIT_TYPE: TypedField[] = [
  { name: 'owner', type: 'address' },
  { name: 'spender', type: 'address' },
  { name: 'value', type: 'uint256' },
  { name: 'nonce', type: 'uint256' },
  { name: 'deadline', type: 'uint256' },
];
/** Permit2's PermitDetails (allowance transfer). */
export const PERMIT_DETAILS_TYPE: TypedField[] = [
  { name: 'token', type: 'address' },
  { name: 'amount', type: 'uint160' },
  { name: 'expiration', type: 'uint48' },
  { name: 'nonce', type: 'uint48' },
];
/** Permit2's TokenPermissions (signature transfer). */
export const TOKEN_PERMISSIONS_TYPE: TypedField[] = [
  { name: 'token', type: 'address' },
  { name: 'amount', type: 'uint256' },
];
export const TRANSFER_WITH_AUTHORIZATION_TYPE: TypedField[] = [
  { name: 'from', type: 'address' },
  { name: 'to', type: 'address' },
  { name: 'value', type: 'uint256' },
  { name: 'validAfter', type: 'uint256' },
  { name: 'validBefore', type: 'uint256' },
  { name: 'nonce', type: 'bytes32' },
];

/** A token's own EIP-712 domain (a type alias, so that it reads as a Record<string, unknown>). */
export type TokenDomain = { name: string; version: string; chainId: number; verifyingContract: string };

/** Permit2's domain on `chainId`, at `verifyingContract` (Permit2's address unless a test deploys its own). */
export const permit2Domain = (chainId: number, verifyingContract: string = PERMIT2_ADDRESS) => ({ name: 'Permit2', chainId, verifyingContract });

type Permit2Domain = ReturnType<typeof permit2Domain>;
type Amount = { token: string; amount: bigint };

/** An EIP-2612 Permit. `domainType: false` leaves EIP712Domain out of `types` (the domain is still given). */
export function permitTypedData(domain: TokenDomain, m: { owner: string; spender: string; value: bigint; nonce?: bigint; deadline?: bigint }, opts: { domainType?: boolean } = {}) {
  return {
    types: { ...(opts.domainType === false ? {} : { EIP712Domain: TOKEN_DOMAIN_TYPE }), Permit: PERMIT_TYPE } as Record<string, TypedField[]>,
    primaryType: 'Permit',
    domain,
    message: { owner: m.owner, spender: m.spender, value: m.value.toString(), nonce: (m.nonce ?? 0n).toString(), deadline: (m.deadline ?? FAR_DEADLINE).toString() },
  };
}

/**
 * A Permit2 allowance: a PermitSingle, or a PermitBatch when `details` is a list. Each detail expires
 * at `deadline`, nonce 0; the signature's deadline is `deadline` too.
 */
export function permit2AllowanceTypedData(domain: Permit2Domain, spender: string, details: Amount | Amount[], opts: { deadline?: bigint; domainType?: boolean } = {}) {
  const batch = Array.isArray(details);
  const primaryType = batch ? 'PermitBatch' : 'PermitSingle';
  const deadline = (opts.deadline ?? FAR_DEADLINE).toString();
  const detail = (d: Amount) => ({ token: d.token, amount: d.amount.toString(), expiration: deadline, nonce: '0' });
  return {
    types: {
      ...(opts.domainType === false ? {} : { EIP712Domain: PERMIT2_DOMAIN_TYPE }),
      [primaryType]: [
        { name: 'details', type: batch ? 'PermitDetails[]' : 'PermitDetails' },
        { name: 'spender', type: 'address' },
        { name: 'sigDeadline', type: 'uint256' },
      ],
      PermitDetails: PERMIT_DETAILS_TYPE,
    } as Record<string, TypedField[]>,
    primaryType,
    domain,
    message: { details: batch ? details.map(detail) : detail(details), spender, sigDeadline: deadline },
  };
}

/**
 * A Permit2 SignatureTransfer: PermitTransferFrom, or PermitBatchTransferFrom when `permitted` is a
 * list; with `witness` (the recipient of an Order) the witness form. `primaryType` defaults to the
 * name those choose.
 */
export function permit2TransferTypedData(
  domain: Permit2Domain,
  m: { spender: string; permitted: Amount | Amount[]; nonce: bigint | number | string; deadline?: bigint; witness?: string },
  opts: { primaryType?: string; domainType?: boolean } = {},
) {
  const batch = Array.isArray(m.permitted);
  const withWitness = m.witness !== undefined;
  const primaryType = opts.primaryType ?? `Permit${batch ? 'Batch' : ''}${withWitness ? 'Witness' : ''}TransferFrom`;
  const perm = (p: Amount) => ({ token: p.token, amount: p.amount.toString() });
  return {
    types: {
      ...(opts.domainType === false ? {} : { EIP712Domain: PERMIT2_DOMAIN_TYPE }),
      [primaryType]: [
        { name: 'permitted', type: batch ? 'TokenPermissions[]' : 'TokenPermissions' },
        { name: 'spender', type: 'address' },
        { name: 'nonce', type: 'uint256' },
        { name: 'deadline', type: 'uint256' },
        ...(withWitness ? [{ name: 'witness', type: 'Order' }] : []),
      ],
      TokenPermissions: TOKEN_PERMISSIONS_TYPE,
      ...(withWitness ? { Order: [{ name: 'recipient', type: 'address' }] } : {}),
    } as Record<string, TypedField[]>,
    primaryType,
    domain,
    message: {
      permitted: Array.isArray(m.permitted) ? m.permitted.map(perm) : perm(m.permitted),
      spender: m.spender,
      nonce: m.nonce.toString(),
      deadline: (m.deadline ?? FAR_DEADLINE).toString(),
      ...(withWitness ? { witness: { recipient: m.witness } } : {}),
    },
  };
}

/**
 * An EIP-3009 TransferWithAuthorization, valid from 0 until `validBefore`. `primaryType` names a
 * look-alike type with the same fields; `extra` adds one field more (to the type and the message).
 */
export function transferWithAuthorizationTypedData(
  domain: TokenDomain,
  m: { from: string; to: string; value: bigint; nonce: string; validBefore?: bigint },
  opts: { primaryType?: string; extra?: TypedField & { value: unknown } } = {},
) {
  const primaryType = opts.primaryType ?? 'TransferWithAuthorization';
  const extra = opts.extra;
  return {
    types: {
      EIP712Domain: TOKEN_DOMAIN_TYPE,
      [primaryType]: extra ? [...TRANSFER_WITH_AUTHORIZATION_TYPE, { name: extra.name, type: extra.type }] : TRANSFER_WITH_AUTHORIZATION_TYPE,
    } as Record<string, TypedField[]>,
    primaryType,
    domain,
    message: {
      from: m.from,
      to: m.to,
      value: m.value.toString(),
      validAfter: '0',
      validBefore: (m.validBefore ?? FAR_DEADLINE).toString(),
      nonce: m.nonce,
      ...(extra ? { [extra.name]: extra.value } : {}),
    },
  };
}
