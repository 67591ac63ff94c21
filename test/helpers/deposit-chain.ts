// What the chain-watcher tests share: a real anvil with a solc-compiled ERC-20 deployed by the funder,
// a fresh ledger with a hot address (a key of its own, so it can send) and two customers' deposit
// addresses registered, raw transfers signed by the funder (so one can be sent again after a reorg),
// block mining by RPC (no waiting), and short reads of the four balances.
import { encodeFunctionData, parseEther, type Hex, type WalletClient } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { createWalletClient, http } from 'viem';
import { custodyAccount, customerAccount } from '../../ledger/accounts.js';
import { erc20Asset, nativeAsset } from '../../ledger/assets.js';
import { accountBalance } from '../../ledger/balances.js';
import type { ChainConfig, Finality } from '../../ledger/chain.js';
import { registerCustodyAddress } from '../../ledger/custody-addresses.js';
import type { Db } from '../../ledger/db.js';
import type { StateAmounts } from '../../ledger/balances.js';
import { openLedgerDb } from '../../ledger/open-ledger.js';
import { startAnvil, type Anvil } from './anvil.js';
import { compileFixture, type Compiled } from './solidity.js';
import { deployFromFunder, nextFunderDeployment } from './e2e-token.js';

export const CHAIN = 31337n;
export const ETH = parseEther('1');

const randomAddress = (): Hex => privateKeyToAccount(generatePrivateKey()).address.toLowerCase() as Hex;

export interface DepositChain {
  anvil: Anvil;
  token: Compiled & { address: Hex };
  native: string;
  erc20: string;
  hot: { address: Hex; wallet: WalletClient };
  alice: Hex;
  bob: Hex;
  /** Registered nowhere. */
  stranger: Hex;
  config(finality: Finality): ChainConfig;
}

/** Anvil with the test token deployed (the funder holds the supply), the hot address funded. */
export async function startDepositChain(): Promise<DepositChain> {
  const anvil = await startAnvil();
  const compiled = compileFixture('TestToken.sol', 'TestToken');
  const address = await nextFunderDeployment(anvil);
  await deployFromFunder(anvil, compiled, [anvil.funder.account!.address, 1_000_000n * ETH], address);
  const hotAccount = privateKeyToAccount(generatePrivateKey());
  const hotWallet = createWalletClient({ account: hotAccount, chain: anvil.funder.chain, transport: http(anvil.rpcUrl) });
  const chain: DepositChain = {
    anvil,
    token: { ...compiled, address },
    native: nativeAsset(CHAIN),
    erc20: erc20Asset(CHAIN, address),
    hot: { address: hotAccount.address.toLowerCase() as Hex, wallet: hotWallet },
    alice: randomAddress(),
    bob: randomAddress(),
    stranger: randomAddress(),
    config: (finality) => ({ chainId: CHAIN, rpcUrl: anvil.rpcUrl, finality, tokens: [address] }),
  };
  await anvil.publicClient.waitForTransactionReceipt({
    hash: await anvil.funder.sendTransaction({ to: hotAccount.address, value: 10n * ETH, account: anvil.funder.account!, chain: anvil.funder.chain }),
  });
  return chain;
}

/** A fresh in-memory ledger with the chain's hot address and the two customers' deposit addresses. */
export async function openDepositLedger(c: DepositChain): Promise<Db> {
  const db = await openLedgerDb();
  await registerCustodyAddress(db, { chainId: CHAIN, address: c.hot.address, role: 'hot' });
  await registerCustodyAddress(db, { chainId: CHAIN, address: c.alice, role: 'deposit', customer: 'alice' });
  await registerCustodyAddress(db, { chainId: CHAIN, address: c.bob, role: 'deposit', customer: 'bob' });
  return db;
}

export async function rpc<T = unknown>(c: DepositChain, method: string, params: unknown[] = []): Promise<T> {
  return (await c.anvil.publicClient.request({ method: method as never, params: params as never })) as T;
}

/** Mines `n` empty blocks (or with what the pool holds). */
export async function mine(c: DepositChain, n = 1): Promise<void> {
  await rpc(c, 'anvil_mine', [`0x${n.toString(16)}`]);
}

export async function setAutomine(c: DepositChain, on: boolean): Promise<void> {
  await rpc(c, 'evm_setAutomine', [on]);
}

let funderNonce: number | null = null;

/** Forgets the cached funder nonce (after a revert). */
export function resetFunderNonce(): void {
  funderNonce = null;
}

/** A transfer from the funder, signed but not sent: ETH when `asset` is 'native', else the token. */
export async function signedTransfer(c: DepositChain, asset: 'native' | 'token', to: Hex, amount: bigint): Promise<Hex> {
  const account = c.anvil.funder.account!;
  if (funderNonce === null) funderNonce = await c.anvil.publicClient.getTransactionCount({ address: account.address, blockTag: 'pending' });
  const nonce = funderNonce++;
  const base = { chainId: Number(CHAIN), nonce, maxFeePerGas: 50_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n, type: 'eip1559' as const };
  const tx =
    asset === 'native'
      ? { ...base, to, value: amount, gas: 21_000n }
      : { ...base, to: c.token.address, value: 0n, gas: 100_000n, data: encodeFunctionData({ abi: c.token.abi, functionName: 'transfer', args: [to, amount] }) };
  return account.signTransaction!(tx);
}

/** Sends a signed transaction; returns its hash (lower case). */
export async function sendRaw(c: DepositChain, raw: Hex): Promise<Hex> {
  return (await c.anvil.publicClient.sendRawTransaction({ serializedTransaction: raw })).toLowerCase() as Hex;
}

/** Signs and sends a transfer from the funder. */
export async function transfer(c: DepositChain, asset: 'native' | 'token', to: Hex, amount: bigint): Promise<Hex> {
  return sendRaw(c, await signedTransfer(c, asset, to, amount));
}

export async function customerBalance(db: Db, customer: string, asset: string): Promise<StateAmounts | null> {
  const b = await accountBalance(db, customerAccount(customer, asset));
  return b === null ? null : { available: b.available, reserved: b.reserved, pending: b.pending, settled: b.settled };
}

export async function custodyBalance(db: Db, address: string, asset: string): Promise<StateAmounts | null> {
  const b = await accountBalance(db, custodyAccount(address, asset));
  return b === null ? null : { available: b.available, reserved: b.reserved, pending: b.pending, settled: b.settled };
}

export const amounts = (a: Partial<StateAmounts> = {}): StateAmounts => ({ available: 0n, reserved: 0n, pending: 0n, settled: 0n, ...a });
