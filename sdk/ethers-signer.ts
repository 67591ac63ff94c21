// An ethers v6 Signer (an AbstractSigner subclass) whose signatures come from the appliance through
// the bridge, with the viem account's behaviour: ethers' populateTransaction fills nonce, gas, fees and
// chain from the provider; signTransaction and signTypedData ask the bridge and wait on the event
// stream while approvers approve (ApprovalTimeout with the request id past the timeout); a denial is
// ApplianceDenied with the appliance's reasons; signMessage refuses by design (BlindMessageRefused).
// sendTransaction is AbstractSigner's own: populate, sign here, broadcast through the provider. The
// answer is checked before it is returned (the signer and the fields asked for), since the bridge is a
// host the device does not trust.
import { AbstractSigner, getAddress, recoverAddress, resolveAddress, Transaction, TypedDataEncoder, type Provider, type TransactionRequest, type TypedDataDomain, type TypedDataField } from 'ethers';
import type { BridgeTransaction } from './bridge-client.js';
import { AnswerMismatch, BlindMessageRefused, UnsupportedRequest } from './errors.js';
import { domainJson, jsonSafe, quantity, SigningFlow, type ApplianceSigningOptions } from './signing-flow.js';

const TYPE_NAMES: Record<number, BridgeTransaction['type']> = { 0: 'legacy', 1: 'eip2930', 2: 'eip1559' };

export class ApplianceSigner extends AbstractSigner {
  readonly address: string;
  private readonly flow: SigningFlow;

  /** Prefer `ApplianceSigner.create`, which reads the key's address from the bridge. */
  constructor(flow: SigningFlow, address: string, provider: Provider | null = null) {
    super(provider);
    this.flow = flow;
    this.address = getAddress(address);
  }

  /** The appliance key `opts.keyId` as an ethers signer on `provider` (the address read from GET /v1/keys/{keyId} unless given). */
  static async create(opts: ApplianceSigningOptions & { address?: string }, provider: Provider | null = null): Promise<ApplianceSigner> {
    const flow = new SigningFlow(opts);
    return new ApplianceSigner(flow, opts.address ?? (await flow.address()), provider);
  }

  override async getAddress(): Promise<string> {
    return this.address;
  }

  override connect(provider: Provider | null): ApplianceSigner {
    return new ApplianceSigner(this.flow, this.address, provider);
  }

  override async signMessage(_message: string | Uint8Array): Promise<string> {
    throw new BlindMessageRefused();
  }

  override async signTransaction(request: TransactionRequest): Promise<string> {
    if (request.from != null && getAddress(await resolveAddress(request.from, this.provider)) !== this.address) {
      throw new UnsupportedRequest(`the transaction is from ${String(request.from)}, not this key's ${this.address}`);
    }
    const to = request.to == null ? null : getAddress(await resolveAddress(request.to, this.provider));
    // Read member by member: ethers hands a Transaction here, whose members are getters a spread would drop.
    const r = request;
    const tx = ethersToBridge({
      type: r.type,
      chainId: r.chainId,
      nonce: r.nonce,
      gasLimit: r.gasLimit,
      to,
      value: r.value,
      data: r.data,
      gasPrice: r.gasPrice,
      maxFeePerGas: r.maxFeePerGas,
      maxPriorityFeePerGas: r.maxPriorityFeePerGas,
      accessList: r.accessList,
      blobVersionedHashes: r.blobVersionedHashes,
      authorizationList: r.authorizationList,
    });
    const answer = await this.flow.signTransaction(tx);
    const raw = String(answer.rawTransaction);
    checkTransaction(answer.requestId, raw, tx, this.address);
    return raw;
  }

  override async signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string> {
    const { EIP712Domain: _domainType, ...structs } = types;
    const primaryType = TypedDataEncoder.getPrimaryType(structs);
    const answer = await this.flow.signTypedData({
      types: structs as Record<string, { name: string; type: string }[]>,
      primaryType,
      domain: domainJson(domain as Record<string, unknown>),
      message: jsonSafe(value) as Record<string, unknown>,
    });
    const signature = String(answer.signature);
    const signer = recoverAddress(TypedDataEncoder.hash(domain, structs, value), signature);
    if (signer !== this.address) throw new AnswerMismatch(answer.requestId, `the signature recovers to ${signer}, not ${this.address}`);
    return signature;
  }
}

/** An ethers transaction request (populated: nonce, gasLimit, chainId and fees set; `to` resolved) as the bridge's `transaction`. */
export function ethersToBridge(r: TransactionRequest & { to: string | null }): BridgeTransaction {
  const typeNumber = r.type ?? (r.maxFeePerGas != null ? 2 : r.accessList != null ? 1 : 0);
  const type = TYPE_NAMES[typeNumber];
  if (!type || r.blobVersionedHashes != null || r.authorizationList != null) throw new UnsupportedRequest(`the appliance does not sign transactions of type ${typeNumber}`);
  if (r.chainId == null || r.nonce == null || r.gasLimit == null) throw new UnsupportedRequest('the transaction has no chainId, nonce or gasLimit: connect a provider so ethers populates it');
  const data = r.data == null ? undefined : String(r.data);
  const out: BridgeTransaction = {
    type,
    chainId: quantity(r.chainId),
    nonce: r.nonce,
    gasLimit: quantity(r.gasLimit),
    to: r.to,
    value: quantity(r.value ?? 0n),
    ...(data && data !== '0x' ? { data } : {}),
  };
  if (type === 'eip1559') {
    if (r.maxFeePerGas == null || r.maxPriorityFeePerGas == null) throw new UnsupportedRequest('an EIP-1559 transaction needs maxFeePerGas and maxPriorityFeePerGas');
    out.maxFeePerGas = quantity(r.maxFeePerGas);
    out.maxPriorityFeePerGas = quantity(r.maxPriorityFeePerGas);
  } else {
    if (r.gasPrice == null) throw new UnsupportedRequest(`a ${type} transaction needs gasPrice`);
    out.gasPrice = quantity(r.gasPrice);
  }
  const list = r.accessList == null ? [] : Array.isArray(r.accessList) ? r.accessList : Object.entries(r.accessList).map(([address, storageKeys]) => ({ address, storageKeys }));
  if (type !== 'legacy' && list.length) out.accessList = list.map((e) => (Array.isArray(e) ? { address: e[0], storageKeys: e[1] } : { address: e.address, storageKeys: [...e.storageKeys] }));
  return out;
}

/** The signed transaction recovers to `from` and carries what was asked: chain, nonce, recipient, value, gas and data. */
function checkTransaction(requestId: string, raw: string, asked: BridgeTransaction, from: string): void {
  const got = Transaction.from(raw);
  if (got.from !== from) throw new AnswerMismatch(requestId, `the transaction recovers to ${String(got.from)}, not ${from}`);
  const same =
    TYPE_NAMES[got.type ?? -1] === asked.type &&
    got.chainId === BigInt(asked.chainId) &&
    BigInt(got.nonce) === BigInt(asked.nonce) &&
    (got.to?.toLowerCase() ?? null) === (asked.to?.toLowerCase() ?? null) &&
    got.value === BigInt(asked.value) &&
    got.gasLimit === BigInt(asked.gasLimit) &&
    got.data.toLowerCase() === (asked.data ?? '0x').toLowerCase();
  if (!same) throw new AnswerMismatch(requestId, 'the signed transaction differs from the one asked for');
}
