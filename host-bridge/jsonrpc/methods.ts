// The JSON-RPC methods of the bridge (docs/json-rpc.md "Methods"). Signing goes the REST sign routes'
// way: the same parameter builders (sign-params.ts), the same typed appliance command under the
// request's trace id (RouteContext.command), the token's principal as the requester. The bridge
// decides nothing: it finds the key by its address, names the request, fills what a wallet fills
// from the node, and reports the appliance's answer.
import { ApplianceError } from '../../protocol/errors.js';
import type { SignedTxAnswer, SignedTypedAnswer } from '../../protocol/commands/signing-answer.js';
import type { RequestAnswer } from '../../protocol/commands/signing-answer.js';
import type { ListedKey } from '../../protocol/commands/key-info.js';
import { parsePolicy } from '../../firmware-policy/policy-document.js';
import { signEvmTxParams, signTypedDataParams } from '../sign-params.js';
import type { Ctx, RouteContext } from '../routes/context.js';
import { positional, type RpcCall } from './envelope.js';
import { derivedRequestId } from './idempotency.js';
import { NodeRpcError, type NodeClient } from './node-client.js';
import { fillFromNode } from './node-fill.js';
import { RPC_ERROR, RpcError, invalidParams } from './rpc-errors.js';
import { signedOrThrow } from './sign-answer.js';
import { rpcTransaction, type FillableField } from './tx-object.js';

export interface RpcContext {
  c: Ctx;
  r: RouteContext;
  /** The token's policy principal: the requester of every signing request. */
  principal: string;
  /** The Idempotency-Key header of a single (non-batch) call. */
  idempotencyHeader: string | undefined;
  node: NodeClient | undefined;
}

/** Read-only methods answered by the configured node as it answers them (what a JSON-RPC client needs around signing). */
export const NODE_METHODS: readonly string[] = [
  'eth_chainId',
  'net_version',
  'eth_blockNumber',
  'eth_getBalance',
  'eth_getTransactionCount',
  'eth_getCode',
  'eth_getStorageAt',
  'eth_call',
  'eth_estimateGas',
  'eth_gasPrice',
  'eth_maxPriorityFeePerGas',
  'eth_feeHistory',
  'eth_getBlockByNumber',
  'eth_getBlockByHash',
  'eth_getTransactionByHash',
  'eth_getTransactionReceipt',
  'eth_getLogs',
];

/** Methods refused by design, with why. */
export const REFUSED: Readonly<Record<string, string>> = {
  eth_sign: 'blind messages are not signed: the appliance signs only what its policy can read (transactions, EIP-712 typed data)',
  personal_sign: 'blind messages are not signed: the appliance signs only what its policy can read (transactions, EIP-712 typed data)',
  eth_signTypedData: 'only eth_signTypedData_v4 is offered',
  eth_signTypedData_v1: 'only eth_signTypedData_v4 is offered',
  eth_signTypedData_v3: 'only eth_signTypedData_v4 is offered',
};

const FILL_ALL: readonly FillableField[] = ['chainId', 'nonce', 'gasLimit', 'gasPrice', 'maxFeePerGas', 'maxPriorityFeePerGas'];
const hex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');

/** A node's own error, passed on as the node gave it (a revert of eth_estimateGas keeps its data). */
const fromNode = (e: unknown): never => {
  if (e instanceof NodeRpcError) throw new RpcError(e.code, e.message, e.data === undefined ? undefined : { node: e.data });
  throw e;
};

function requireNode(ctx: RpcContext, method: string): NodeClient {
  if (!ctx.node) throw new RpcError(RPC_ERROR.unavailable, `${method} needs an Ethereum node and this bridge has none configured`, { code: 'node_not_configured' });
  return ctx.node;
}

const requestIdOf = (ctx: RpcContext, call: RpcCall) => ctx.idempotencyHeader ?? derivedRequestId(ctx.principal, call.method, call.params, call.id);

async function* allKeys(ctx: RpcContext): AsyncGenerator<ListedKey> {
  for (let offset: number | null = 0; offset !== null;) {
    const page: { keys: ListedKey[]; nextOffset: number | null } = await ctx.r.command(ctx.c, 'key.list', { offset });
    yield* page.keys;
    offset = page.nextOffset;
  }
}

/** The key whose address is `address` (any case); -32602 when no key has it. Which keys the requester may use is the appliance's to judge. */
async function keyIdOf(ctx: RpcContext, address: string, field: string): Promise<string> {
  const lower = address.toLowerCase();
  for await (const k of allKeys(ctx)) if (k.address.toLowerCase() === lower) return k.keyId;
  throw new RpcError(RPC_ERROR.invalidParams, `no key of the appliance has the address ${address}`, { code: 'unknown_address', details: { field } });
}

/** eth_accounts: the addresses of the keys in the groups the active policy lets this requester ask for (all keys when it names no groups). A listing only: each request is judged by the appliance. */
async function accounts(ctx: RpcContext): Promise<string[]> {
  const policy = parsePolicy((await ctx.r.command(ctx.c, 'policy.get', {})).document);
  const groups = (policy.requesters ?? []).find((p) => p.id === ctx.principal)?.groups;
  const out: string[] = [];
  for await (const k of allKeys(ctx)) if (groups === undefined || groups.includes(k.group)) out.push(k.address);
  return out;
}

/** Signs the transaction of eth_signTransaction or eth_sendTransaction by sign.evm-tx; `fill` names what may be filled from the node. */
async function signTransaction(ctx: RpcContext, call: RpcCall, fill: readonly FillableField[]): Promise<SignedTxAnswer> {
  const [obj] = positional(call, 1, 1);
  const tx = rpcTransaction(obj);
  const requestId = requestIdOf(ctx, call);
  const keyId = await keyIdOf(ctx, tx.from, 'from');
  const fillable = ctx.node ? tx.missing.filter((k) => fill.includes(k)) : [];
  const transaction = fillable.length > 0 ? await fillFromNode(ctx.node!, tx, fillable).catch(fromNode) : tx.transaction;
  const absent = tx.missing.filter((k) => transaction[k] === undefined);
  if (absent.length > 0)
    throw invalidParams(`the transaction needs ${absent.map((k) => (k === 'gasLimit' ? 'gas' : k)).join(', ')}${ctx.node ? '' : ' (no node is configured to fill them)'}`, absent[0]!);
  const params = signEvmTxParams({ keyId, transaction }, ctx.principal, requestId);
  let answer: RequestAnswer;
  try {
    answer = await ctx.r.command(ctx.c, 'sign.evm-tx', params);
  } catch (e) {
    // A retry whose filled fields came out otherwise (a nonce or fee moved since): the id already
    // names a request, which is answered as stored; nothing new is signed.
    if (!(e instanceof ApplianceError && e.code === 'conflict' && fillable.length > 0)) throw e;
    answer = (await ctx.r.command(ctx.c, 'request.get', { requestId, viewer: ctx.principal, role: 'requester' }).catch(() => Promise.reject(e))) as RequestAnswer;
  }
  return signedOrThrow<SignedTxAnswer>(answer, 'transaction');
}

/** Sends a signed transaction to the node; one the node already holds (a retry) answers its hash. */
async function broadcast(node: NodeClient, signed: SignedTxAnswer): Promise<string> {
  const raw = hex(signed.rawTransaction);
  const txHash = hex(signed.txHash);
  try {
    await node.call('eth_sendRawTransaction', [raw]);
    return txHash;
  } catch (e) {
    if (!(e instanceof NodeRpcError)) throw e;
    const known = await node.call('eth_getTransactionByHash', [txHash]).catch(() => null);
    if (known) return txHash;
    throw new RpcError(RPC_ERROR.broadcastFailed, 'signed by the appliance, but the node refused the transaction', {
      requestId: signed.requestId,
      txHash,
      rawTransaction: raw,
      node: { code: e.code, message: e.message, ...(e.data === undefined ? {} : { data: e.data }) },
    });
  }
}

async function signTypedData(ctx: RpcContext, call: RpcCall): Promise<SignedTypedAnswer> {
  const [address, data] = positional(call, 2, 2);
  if (typeof address !== 'string') throw invalidParams('the first param must be the address of a key', 'address');
  let typedData: unknown = data;
  if (typeof data === 'string') {
    try {
      typedData = JSON.parse(data);
    } catch {
      throw invalidParams('the typed data is not valid JSON', 'typedData');
    }
  }
  const keyId = await keyIdOf(ctx, address, 'address');
  const params = signTypedDataParams({ keyId, typedData }, ctx.principal, requestIdOf(ctx, call));
  return signedOrThrow<SignedTypedAnswer>(await ctx.r.command(ctx.c, 'sign.typed-data', params), 'typedData');
}

/** Runs one call: its result, or a thrown error (RpcError, ApplianceError) for the route to answer. */
export async function dispatch(ctx: RpcContext, call: RpcCall): Promise<unknown> {
  const m = call.method;
  if (m === 'eth_accounts' || m === 'eth_requestAccounts') {
    positional(call, 0, 0);
    return accounts(ctx);
  }
  if (m === 'eth_signTransaction') return hex((await signTransaction(ctx, call, ['chainId'])).rawTransaction);
  if (m === 'eth_sendTransaction') {
    const node = requireNode(ctx, m);
    return broadcast(node, await signTransaction(ctx, call, FILL_ALL));
  }
  if (m === 'eth_signTypedData_v4') return hex((await signTypedData(ctx, call)).signature);
  if (Object.hasOwn(REFUSED, m)) throw new RpcError(RPC_ERROR.notSupported, `${m} is refused by design: ${REFUSED[m]}`, { code: 'refused_by_design', method: m });
  if (NODE_METHODS.includes(m)) {
    const node = requireNode(ctx, m);
    if (!Array.isArray(call.params)) throw new RpcError(RPC_ERROR.invalidParams, `${m} takes its params as an array`);
    return node.call(m, call.params).catch(fromNode);
  }
  throw new RpcError(RPC_ERROR.methodNotFound, `the method ${m} does not exist on this endpoint`, { method: m });
}
