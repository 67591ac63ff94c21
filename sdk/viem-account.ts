// A viem account (viem's `toAccount`) whose signatures come from the appliance through the bridge:
// signTransaction and signTypedData ask the bridge, wait on the event stream while approvers approve
// (up to a timeout: ApprovalTimeout carries the request id), and throw ApplianceDenied with the
// appliance's reasons on a denial. signMessage refuses by design (BlindMessageRefused): the appliance
// signs only what its policy can read. The answer is checked before it is returned: the transaction
// handed back must recover to the key's address and carry the fields that were asked for, since the
// bridge is a host the device does not trust. With a walletClient, viem fills nonce, gas and fees from
// its node, and sendTransaction broadcasts what the appliance signed.
import { getAddress, hashTypedData, parseTransaction, recoverAddress, recoverTransactionAddress, type Hex, type LocalAccount, type TransactionSerializable } from 'viem';
import { toAccount } from 'viem/accounts';
import type { BridgeTransaction, BridgeTypedData } from './bridge-client.js';
import { AnswerMismatch, BlindMessageRefused, UnsupportedRequest } from './errors.js';
import { domainJson, jsonSafe, quantity, SigningFlow, type ApplianceSigningOptions } from './signing-flow.js';

export type ApplianceAccountOptions = ApplianceSigningOptions & {
  /** The key's address, if known; else read once from GET /v1/keys/{keyId}. */
  address?: string;
};

/** The appliance key `keyId` as a viem LocalAccount (source 'appliance'). */
export async function applianceAccount(opts: ApplianceAccountOptions): Promise<LocalAccount<'appliance'>> {
  const flow = new SigningFlow(opts);
  const address = getAddress(opts.address ?? (await flow.address()));
  const account = toAccount({
    address,
    async signMessage() {
      throw new BlindMessageRefused();
    },
    async sign() {
      throw new BlindMessageRefused();
    },
    async signTransaction(transaction) {
      const tx = viemToBridge(transaction as TransactionSerializable);
      const answer = await flow.signTransaction(tx);
      const raw = String(answer.rawTransaction) as Hex;
      await checkTransaction(answer.requestId, raw, tx, address);
      return raw;
    },
    async signTypedData(parameters) {
      const p = parameters as { domain?: Record<string, unknown>; types: Record<string, unknown>; primaryType: string; message: Record<string, unknown> };
      const typedData: BridgeTypedData = {
        types: p.types as BridgeTypedData['types'],
        primaryType: p.primaryType,
        domain: domainJson(p.domain ?? {}),
        message: jsonSafe(p.message) as Record<string, unknown>,
      };
      const answer = await flow.signTypedData(typedData);
      const signature = String(answer.signature) as Hex;
      const signer = await recoverAddress({ hash: hashTypedData(parameters as Parameters<typeof hashTypedData>[0]), signature });
      if (signer !== address) throw new AnswerMismatch(answer.requestId, `the signature recovers to ${signer}, not ${address}`);
      return signature;
    },
  });
  return { ...account, source: 'appliance' };
}

/** viem's transaction (after prepareTransactionRequest) as the bridge's `transaction` member. */
export function viemToBridge(t: TransactionSerializable): BridgeTransaction {
  const x = t as TransactionSerializable & { blobVersionedHashes?: unknown; authorizationList?: unknown; input?: Hex };
  if (x.type === 'eip4844' || x.type === 'eip7702' || x.blobVersionedHashes || x.authorizationList)
    throw new UnsupportedRequest(`the appliance does not sign ${x.type ?? 'blob or authorization'} transactions`);
  if (x.chainId === undefined) throw new UnsupportedRequest('the transaction has no chainId');
  if (x.nonce === undefined || x.gas === undefined) throw new UnsupportedRequest('the transaction has no nonce or gas: let the wallet client prepare it');
  const type = x.type ?? (x.maxFeePerGas !== undefined ? 'eip1559' : x.accessList ? 'eip2930' : 'legacy');
  if (type !== 'legacy' && type !== 'eip2930' && type !== 'eip1559') throw new UnsupportedRequest(`the appliance does not sign ${String(type)} transactions`);
  const data = x.data ?? x.input;
  const out: BridgeTransaction = { type, chainId: x.chainId, nonce: x.nonce, gasLimit: quantity(x.gas), to: x.to ?? null, value: quantity(x.value ?? 0n), ...(data && data !== '0x' ? { data } : {}) };
  if (type === 'eip1559') {
    if (x.maxFeePerGas === undefined || x.maxPriorityFeePerGas === undefined) throw new UnsupportedRequest('an EIP-1559 transaction needs maxFeePerGas and maxPriorityFeePerGas');
    out.maxFeePerGas = quantity(x.maxFeePerGas);
    out.maxPriorityFeePerGas = quantity(x.maxPriorityFeePerGas);
  } else {
    if (x.gasPrice === undefined) throw new UnsupportedRequest(`a ${type} transaction needs gasPrice`);
    out.gasPrice = quantity(x.gasPrice);
  }
  if (type !== 'legacy' && x.accessList?.length) out.accessList = x.accessList.map((e) => ({ address: e.address, storageKeys: [...e.storageKeys] }));
  return out;
}

/** The signed transaction recovers to `from` and carries what was asked: chain, nonce, recipient, value, gas and data. */
async function checkTransaction(requestId: string, raw: Hex, asked: BridgeTransaction, from: string): Promise<void> {
  const signer = await recoverTransactionAddress({ serializedTransaction: raw as never });
  if (signer !== from) throw new AnswerMismatch(requestId, `the transaction recovers to ${signer}, not ${from}`);
  const got = parseTransaction(raw);
  const same =
    got.type === asked.type &&
    BigInt(got.chainId ?? -1) === BigInt(asked.chainId) &&
    BigInt(got.nonce ?? -1) === BigInt(asked.nonce) &&
    (got.to ?? null)?.toLowerCase() === asked.to?.toLowerCase() &&
    (got.value ?? 0n) === BigInt(asked.value) &&
    (got.gas ?? -1n) === BigInt(asked.gasLimit) &&
    (got.data ?? '0x').toLowerCase() === (asked.data ?? '0x').toLowerCase();
  if (!same) throw new AnswerMismatch(requestId, 'the signed transaction differs from the one asked for');
}
