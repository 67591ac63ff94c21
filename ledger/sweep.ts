// Sweeps (issue 13 item 3, docs/ledger.md "Sweeps"): a deposit address's native coin, or one ERC-20
// token, moved to its group's hot address, signed by the appliance through the bridge. `startSweep`
// builds an EIP-1559 transfer of (final balance − gasLimit × maxFeePerGas), or the token's
// transfer(hot, final token balance) paid with the address's own native coin, at the address's next
// nonce, with fees from the chain kept within the policy's fee cap, records it (status `signing`, its bridge request id) before
// asking, asks the bridge's signing route (stamped by the custody service's requester key when it has
// one), checks that the signed transaction is the one asked for, and broadcasts it. `settleSweeps`
// posts each broadcast sweep whose receipt's block is final as a `sweep` journal entry: the deposit
// address's custody account Settled + (amount + fee), the hot address's Settled − amount, the fees
// account Settled − fee, with fee = gasUsed × effectiveGasPrice from the receipt (a token sweep moves
// the token between the two custody accounts and the fee out of the deposit address's native account).
// A deposit address derived from an HD account's xpub gets its key derived into the token just before
// its first sweep is recorded (ledger/hd-deposits.ts hdDepositKey, which checks the address).
import { randomUUID } from 'node:crypto';
import { encodeFunctionData, erc20Abi, keccak256, parseTransaction, type Hex, type PublicClient } from 'viem';
import { custodyAccount, feesAccount, openAccount } from './accounts.js';
import { erc20Asset, nativeAsset } from './assets.js';
import type { BridgeClient, SigningAnswer } from './bridge-client.js';
import { finalBlock, type ChainConfig } from './chain.js';
import { findCustodyAddress } from './custody-addresses.js';
import { findHdDepositAddress, hdDepositKey, type HdKeyDeriver } from './hd-deposits.js';
import type { Db } from './db.js';
import { LedgerError } from './errors.js';
import { postEntry, type Posted } from './journal.js';
import { stampSignRequest, type StampingPrincipal } from './request-stamps.js';

/** Gas of a plain native transfer to an address without code. */
export const NATIVE_TRANSFER_GAS = 21_000n;

export interface SweepRequest {
  depositAddress: string;
  /** A registered hot address: the deposit group's sweepTo. */
  hotAddress: string;
  /** An ERC-20 token contract to sweep instead of the native coin (the deposit address pays its gas in the native coin). */
  token?: string;
}

/** The token contract of an ERC-20 asset id, or null for the native asset. */
function tokenOf(asset: string): Hex | null {
  const m = /:erc20:(0x[0-9a-f]{40})$/.exec(asset);
  return m === null ? null : (m[1] as Hex);
}

/** What the sweep's transaction calls: the hot address with value, or the token's transfer(hot, amount). */
function callOf(s: Pick<Sweep, 'asset' | 'to' | 'amount'>): { to: Hex; value: bigint; data: Hex | undefined } {
  const token = tokenOf(s.asset);
  if (token === null) return { to: s.to as Hex, value: s.amount, data: undefined };
  return { to: token, value: 0n, data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [s.to as Hex, s.amount] }) };
}

export interface SweepContext {
  db: Db;
  /** A client with the custody service's requester token (scope orchestrator). */
  bridge: BridgeClient;
  /** The requester, with its request key's stamper when the deposit group requires signed requests. */
  requester: StampingPrincipal;
  deviceId: string;
  chain: Pick<ChainConfig, 'chainId' | 'finality'>;
  client: PublicClient;
  /** The policy's fee cap for the chain (feeCaps.<chainId>), when it has one. */
  feeCap?: { maxGasLimit: bigint; maxFeeWei: bigint };
  stampTtlSeconds?: number;
  /** Who derives an HD deposit address's key before its first sweep (an admin), or how to get it when needed. */
  hdKeys?: HdKeyDeriver | (() => Promise<HdKeyDeriver>);
}

async function hdKeysOf(ctx: SweepContext): Promise<HdKeyDeriver> {
  if (ctx.hdKeys === undefined) throw new LedgerError('bad_entry', 'an HD deposit address needs an admin to derive its key (the sweep context has no hdKeys)');
  return typeof ctx.hdKeys === 'function' ? ctx.hdKeys() : ctx.hdKeys;
}

export type SweepStatus = 'signing' | 'pending_approval' | 'denied' | 'broadcast' | 'settled' | 'reverted';

export interface Sweep {
  id: number;
  chainId: bigint;
  from: string;
  to: string;
  asset: string;
  keyId: string;
  nonce: bigint;
  amount: bigint;
  gasLimit: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  requestId: string;
  status: SweepStatus;
  reasons?: string[];
  auditSeq?: number;
  txHash?: string;
  blockNumber?: bigint;
  fee?: bigint;
  entryId?: number;
}

interface Row {
  id: string;
  chain_id: string;
  from_address: string;
  to_address: string;
  asset: string;
  key_id: string;
  nonce: string;
  amount: string;
  gas_limit: string;
  max_fee_per_gas: string;
  max_priority_fee_per_gas: string;
  request_id: string;
  status: SweepStatus;
  reasons: string | null;
  audit_seq: string | null;
  tx_hash: string | null;
  block_number: string | null;
  fee: string | null;
  entry_id: string | null;
}

const COLUMNS =
  'id::text AS id, chain_id::text AS chain_id, from_address, to_address, asset, key_id, nonce::text AS nonce, amount::text AS amount, gas_limit::text AS gas_limit, max_fee_per_gas::text AS max_fee_per_gas, max_priority_fee_per_gas::text AS max_priority_fee_per_gas, request_id, status, reasons, audit_seq::text AS audit_seq, tx_hash, block_number::text AS block_number, fee::text AS fee, entry_id::text AS entry_id';

function fromRow(r: Row): Sweep {
  return {
    id: Number(r.id),
    chainId: BigInt(r.chain_id),
    from: r.from_address,
    to: r.to_address,
    asset: r.asset,
    keyId: r.key_id,
    nonce: BigInt(r.nonce),
    amount: BigInt(r.amount),
    gasLimit: BigInt(r.gas_limit),
    maxFeePerGas: BigInt(r.max_fee_per_gas),
    maxPriorityFeePerGas: BigInt(r.max_priority_fee_per_gas),
    requestId: r.request_id,
    status: r.status,
    ...(r.reasons === null ? {} : { reasons: JSON.parse(r.reasons) as string[] }),
    ...(r.audit_seq === null ? {} : { auditSeq: Number(r.audit_seq) }),
    ...(r.tx_hash === null ? {} : { txHash: r.tx_hash }),
    ...(r.block_number === null ? {} : { blockNumber: BigInt(r.block_number) }),
    ...(r.fee === null ? {} : { fee: BigInt(r.fee) }),
    ...(r.entry_id === null ? {} : { entryId: Number(r.entry_id) }),
  };
}

export async function getSweep(db: Db, id: number): Promise<Sweep | null> {
  const r = await db.query<Row>(`SELECT ${COLUMNS} FROM ledger_sweeps WHERE id = $1`, [id]);
  return r.rows[0] === undefined ? null : fromRow(r.rows[0]);
}

/** Sweeps in id order; `from` (a deposit address), `afterId` and `limit` page them (no limit: all). */
export async function listSweeps(db: Db, filter: { status?: SweepStatus; chainId?: bigint; from?: string; afterId?: number; limit?: number } = {}): Promise<Sweep[]> {
  const r = await db.query<Row>(
    `SELECT ${COLUMNS} FROM ledger_sweeps WHERE ($1::text IS NULL OR status = $1) AND ($2::bigint IS NULL OR chain_id = $2) AND ($3::text IS NULL OR from_address = $3) AND id > $4 ORDER BY id LIMIT $5`,
    [filter.status ?? null, filter.chainId?.toString() ?? null, filter.from?.toLowerCase() ?? null, filter.afterId ?? 0, filter.limit ?? null],
  );
  return r.rows.map(fromRow);
}

/** Fees per gas for the next block, kept within the fee cap for `gasLimit`; refused when the cap is below the base fee. */
async function sweepFees(ctx: SweepContext, gasLimit: bigint): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
  const block = await ctx.client.getBlock({ blockTag: 'latest' });
  const baseFee = block.baseFeePerGas ?? 0n;
  let maxPriorityFeePerGas = await ctx.client.estimateMaxPriorityFeePerGas().catch(() => 1_000_000_000n);
  // Room for the base fee to double over a few blocks, as wallets do.
  let maxFeePerGas = 2n * baseFee + maxPriorityFeePerGas;
  if (ctx.feeCap !== undefined) {
    if (gasLimit > ctx.feeCap.maxGasLimit) throw new LedgerError('sweep_refused', 'the gas limit of a sweep is above the fee cap', { gasLimit: gasLimit.toString() });
    const capPerGas = ctx.feeCap.maxFeeWei / gasLimit;
    if (capPerGas <= baseFee) throw new LedgerError('sweep_refused', 'the fee cap is below the current base fee', { capPerGas: capPerGas.toString(), baseFee: baseFee.toString() });
    if (maxFeePerGas > capPerGas) maxFeePerGas = capPerGas;
  }
  if (maxPriorityFeePerGas > maxFeePerGas - baseFee) maxPriorityFeePerGas = maxFeePerGas - baseFee;
  return { maxFeePerGas, maxPriorityFeePerGas };
}

/**
 * Starts a sweep of a deposit address's native coin to `hotAddress` (a registered hot address): only
 * what is there at the chain's final block (and still there now) is swept. Returns the sweep as
 * recorded: `broadcast` when signed and sent, `pending_approval` when the policy asks for approvals,
 * `denied` (with the reason codes) when the appliance refused it.
 */
export async function startSweep(ctx: SweepContext, o: SweepRequest): Promise<Sweep> {
  return askAndBroadcast(ctx, await recordSweep(ctx, o));
}

/** The first half of startSweep: the sweep built and recorded in `signing`, not asked for yet. */
export async function recordSweep(ctx: SweepContext, o: SweepRequest): Promise<Sweep> {
  const { db, chain } = ctx;
  const from = o.depositAddress.toLowerCase();
  const to = o.hotAddress.toLowerCase();
  const dep = await findCustodyAddress(db, chain.chainId, from);
  if (dep === null || dep.role !== 'deposit') throw new LedgerError('not_found', 'not a deposit address made by the appliance', { address: from });
  // An address derived from an HD account's xpub has no key in the token until its first sweep.
  const hd = dep.keyId === undefined ? await findHdDepositAddress(db, chain.chainId, from) : null;
  if (dep.keyId === undefined && hd === null) throw new LedgerError('not_found', 'not a deposit address made by the appliance', { address: from });
  if (hd?.mismatch !== undefined) throw new LedgerError('hd_key_mismatch', `the HD deposit address was refused: ${hd.mismatch}`, { address: from, path: hd.path });
  const hot = await findCustodyAddress(db, chain.chainId, to);
  if (hot === null || hot.role !== 'hot') throw new LedgerError('not_found', 'not a registered hot address', { address: to });
  const busy = await db.query('SELECT 1 FROM ledger_sweeps WHERE chain_id = $1 AND from_address = $2 AND status IN ($3, $4, $5)', [
    chain.chainId.toString(),
    from,
    'signing',
    'pending_approval',
    'broadcast',
  ]);
  if (busy.rows.length > 0) throw new LedgerError('sweep_in_flight', 'the address has a sweep in flight', { address: from });

  const final = await finalBlock(ctx.client, chain.finality);
  if (final < 0n) throw new LedgerError('nothing_to_sweep', 'the chain has no final block yet', { address: from });
  const asset = o.token === undefined ? nativeAsset(chain.chainId) : erc20Asset(chain.chainId, o.token);
  const token = tokenOf(asset);
  const [nativeAtFinal, nativeNow, nonce] = await Promise.all([
    ctx.client.getBalance({ address: from as Hex, blockNumber: final }),
    ctx.client.getBalance({ address: from as Hex, blockTag: 'latest' }),
    ctx.client.getTransactionCount({ address: from as Hex, blockTag: 'pending' }),
  ]);
  let gasLimit: bigint;
  let fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint };
  let amount: bigint;
  if (token === null) {
    gasLimit = NATIVE_TRANSFER_GAS;
    fees = await sweepFees(ctx, gasLimit);
    const balance = nativeAtFinal < nativeNow ? nativeAtFinal : nativeNow;
    amount = balance - gasLimit * fees.maxFeePerGas;
    if (amount <= 0n) throw new LedgerError('nothing_to_sweep', 'the final balance does not cover the worst-case fee', { address: from, balance: balance.toString() });
  } else {
    const read = (blockNumber?: bigint) =>
      ctx.client.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [from as Hex], ...(blockNumber === undefined ? {} : { blockNumber }) });
    const [atFinal, now] = await Promise.all([read(final), read()]);
    amount = atFinal < now ? atFinal : now;
    if (amount <= 0n) throw new LedgerError('nothing_to_sweep', 'no final token balance at the address', { address: from, asset });
    // The node's estimate of transfer(hot, amount) from the deposit address, with a fifth more room.
    const estimate = await ctx.client.estimateGas({ account: from as Hex, ...callOf({ asset, to, amount }) });
    gasLimit = (estimate * 6n) / 5n;
    fees = await sweepFees(ctx, gasLimit);
    if (nativeNow < gasLimit * fees.maxFeePerGas) {
      throw new LedgerError('needs_gas', 'the deposit address holds too little of the native coin for the worst-case fee of a token sweep', {
        address: from,
        needed: (gasLimit * fees.maxFeePerGas).toString(),
      });
    }
  }
  const { maxFeePerGas, maxPriorityFeePerGas } = fees;
  // Derived into the token only now that there is something to sweep (hdDepositKey checks its address).
  const keyId = dep.keyId ?? (await hdDepositKey(db, await hdKeysOf(ctx), hd!));

  const requestId = `sweep-${randomUUID()}`;
  const inserted = await db.query<{ id: string }>(
    'INSERT INTO ledger_sweeps (chain_id, from_address, to_address, asset, key_id, nonce, amount, gas_limit, max_fee_per_gas, max_priority_fee_per_gas, request_id, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id::text AS id',
    [chain.chainId.toString(), from, to, asset, keyId, nonce, amount.toString(), gasLimit.toString(), maxFeePerGas.toString(), maxPriorityFeePerGas.toString(), requestId, 'signing'],
  );
  return (await getSweep(db, Number(inserted.rows[0]!.id)))!;
}

/** Asks the appliance for a sweep in `signing` (again, after a crash: same request id, same answer) and broadcasts what it signs. */
export async function askAndBroadcast(ctx: SweepContext, s: Sweep): Promise<Sweep> {
  const call = callOf(s);
  const body: Record<string, unknown> = {
    keyId: s.keyId,
    transaction: {
      type: 'eip1559',
      chainId: s.chainId.toString(),
      nonce: s.nonce.toString(),
      to: call.to,
      value: call.value.toString(),
      ...(call.data === undefined ? {} : { data: call.data }),
      gasLimit: s.gasLimit.toString(),
      maxFeePerGas: s.maxFeePerGas.toString(),
      maxPriorityFeePerGas: s.maxPriorityFeePerGas.toString(),
    },
  };
  if (ctx.requester.stamp !== undefined) body.stamp = await stampSignRequest(ctx.deviceId, { id: ctx.requester.id, stamp: ctx.requester.stamp }, body, s.requestId, ctx.stampTtlSeconds);
  const answer = await ctx.bridge.signEvmTransaction(body, s.requestId);
  if (answer.status !== 'signed') return recordDecision(ctx.db, s, answer);
  const raw = answer.rawTransaction as Hex;
  checkSigned(s, raw);
  const txHash = await broadcast(ctx.client, raw);
  await ctx.db.query('UPDATE ledger_sweeps SET status = $2, tx_hash = $3, raw_tx = $4, audit_seq = $5 WHERE id = $1', [s.id, 'broadcast', txHash.toLowerCase(), raw, answer.auditSeq ?? null]);
  return (await getSweep(ctx.db, s.id))!;
}

/**
 * Sends the signed sweep. After a crash between the broadcast and its record, the same transaction is
 * sent again: a node that already has it (or has mined it) refuses it, and that is a success.
 */
async function broadcast(client: PublicClient, raw: Hex): Promise<Hex> {
  const txHash = keccak256(raw);
  try {
    await client.sendRawTransaction({ serializedTransaction: raw });
  } catch (err) {
    const known = await client.getTransaction({ hash: txHash }).catch(() => null);
    if (known === null) throw err;
  }
  return txHash;
}

/**
 * Asks again for every sweep left in `signing` (the service stopped after recording it) or
 * `pending_approval`, under its own request id: the appliance answers a repeated request with its
 * stored answer (the stamp, made afresh, is not part of what it compares), so nothing is signed twice.
 */
export async function resumeSweeps(ctx: SweepContext): Promise<Sweep[]> {
  const out: Sweep[] = [];
  for (const status of ['signing', 'pending_approval'] as const) {
    for (const s of await listSweeps(ctx.db, { status, chainId: ctx.chain.chainId })) {
      try {
        out.push(await askAndBroadcast(ctx, s));
      } catch (err) {
        if (!(err instanceof LedgerError && err.code === 'sweep_refused')) throw err;
        out.push((await getSweep(ctx.db, s.id))!); // recorded as denied; the others still resume
      }
    }
  }
  return out;
}

async function recordDecision(db: Db, s: Sweep, answer: SigningAnswer): Promise<Sweep> {
  const status: SweepStatus = answer.status === 'pending_approval' ? 'pending_approval' : 'denied';
  const reasons = (answer.reasons ?? []).map((r) => r.code);
  await db.query('UPDATE ledger_sweeps SET status = $2, reasons = $3, audit_seq = $4 WHERE id = $1', [s.id, status, JSON.stringify(reasons), answer.auditSeq ?? null]);
  const out = (await getSweep(db, s.id))!;
  if (status === 'denied') throw new LedgerError('sweep_refused', `the appliance denied the sweep: ${reasons.join(', ') || answer.status}`, { sweep: s.id, reasons });
  return out;
}

/** The bridge carries what the appliance signed; the custody side still checks it is the sweep it asked for before sending it. */
function checkSigned(s: Sweep, raw: Hex): void {
  const tx = parseTransaction(raw);
  const call = callOf(s);
  const same =
    tx.type === 'eip1559' &&
    BigInt(tx.chainId ?? 0) === s.chainId &&
    BigInt(tx.nonce ?? -1) === s.nonce &&
    tx.to?.toLowerCase() === call.to.toLowerCase() &&
    (tx.value ?? 0n) === call.value &&
    tx.gas === s.gasLimit &&
    tx.maxFeePerGas === s.maxFeePerGas &&
    (tx.data === undefined || tx.data === '0x' ? undefined : tx.data.toLowerCase()) === call.data?.toLowerCase();
  if (!same) throw new LedgerError('sweep_refused', 'the signed transaction is not the sweep asked for', { sweep: s.id });
}

/**
 * Posts every broadcast sweep whose receipt's block is final: one `sweep` entry each (idempotency key
 * `sweep:<chain>:<tx hash>`, trace: the sweep's request id and the appliance's audit seq). A reverted
 * transaction moved nothing but still paid its fee: the entry then has only the fee lines. With
 * `upTo`, only receipts at or below that block (and the final one) are posted. Returns the entries posted.
 */
export async function settleSweeps(ctx: Pick<SweepContext, 'db' | 'chain' | 'client'>, opts: { upTo?: bigint } = {}): Promise<Posted[]> {
  const { db, chain, client } = ctx;
  // `upTo` holds the postings at a block below the chain's final one (reconciliation's block).
  const chainFinal = await finalBlock(client, chain.finality);
  const final = opts.upTo !== undefined && opts.upTo < chainFinal ? opts.upTo : chainFinal;
  const posted: Posted[] = [];
  for (const s of await listSweeps(db, { status: 'broadcast', chainId: chain.chainId })) {
    const receipt = await client.getTransactionReceipt({ hash: s.txHash as Hex }).catch(() => null);
    if (receipt === null || receipt.blockNumber > final) continue;
    const fee = receipt.gasUsed * receipt.effectiveGasPrice;
    const moved = receipt.status === 'success' ? s.amount : 0n;
    // The asset moves between the custody addresses; the fee is paid by the deposit address in the native coin.
    const native = nativeAsset(s.chainId);
    const deposit = custodyAccount(s.from, s.asset);
    const hot = custodyAccount(s.to, s.asset);
    const depositNative = custodyAccount(s.from, native);
    const fees = feesAccount(native);
    for (const a of [deposit, hot, depositNative, fees]) await openAccount(db, a);
    const lines =
      s.asset === native
        ? [
            { account: deposit, state: 'settled' as const, amount: moved + fee },
            { account: hot, state: 'settled' as const, amount: -moved },
            { account: fees, state: 'settled' as const, amount: -fee },
          ]
        : [
            { account: deposit, state: 'settled' as const, amount: moved },
            { account: hot, state: 'settled' as const, amount: -moved },
            { account: depositNative, state: 'settled' as const, amount: fee },
            { account: fees, state: 'settled' as const, amount: -fee },
          ];
    const entry = await postEntry(db, {
      kind: 'sweep',
      idempotencyKey: `sweep:${s.chainId}:${s.txHash}`,
      trace: { traceId: `sweep-${s.id}`, bridgeRequestId: s.requestId, ...(s.auditSeq === undefined ? {} : { auditSeq: s.auditSeq }) },
      lines: lines.filter((l) => l.amount !== 0n),
    });
    await db.query('UPDATE ledger_sweeps SET status = $2, block_number = $3, fee = $4, entry_id = $5 WHERE id = $1', [
      s.id,
      receipt.status === 'success' ? 'settled' : 'reverted',
      receipt.blockNumber.toString(),
      fee.toString(),
      entry.entry.id,
    ]);
    posted.push(entry);
  }
  return posted;
}
