// W5 → W10 on the chain: broadcasting an attempt to every endpoint, tracking it by quorum, routing the
// six exceptions (exception-routes.ts), replacing it with a fee bump at the same nonce, and, once its
// block is final, the ledger's postings: Reserved → Pending at broadcast, Pending out of the customer's
// account with the network fee to the fee account at finality (W9), then W10. A cancel asked for after
// the send (cancel.ts) becomes one more attempt at the nonce (cancel-step.ts); if that is the one the
// chain keeps, finality moves the withdrawal to `cancelled`, its Pending back to Available and the
// cancel's fee to the fee account.
import type { Hex } from 'viem';
import { custodyAccount, customerAccount, feesAccount, openAccount } from '../ledger/accounts.js';
import { nativeAsset } from '../ledger/assets.js';
import { finalBlock } from '../ledger/chain.js';
import type { Queryable } from '../ledger/db.js';
import { postEntryIn } from '../ledger/journal.js';
import { attemptsOf, createAttempt, moveAttempt, setAttemptFacts, type Attempt } from './attempt-store.js';
import { cancelRequestOf } from './cancel.js';
import { makeCancelAttempt } from './cancel-step.js';
import { askAll, sendToAll } from './endpoints.js';
import { routeOf, type AttemptException } from './exception-routes.js';
import { bumpOffer, withinCap } from './fees.js';
import { OrchestratorError } from './errors.js';
import { decide, defaultQuorum } from './rpc-quorum.js';
import { chainOf, type ChainRuntime, type Runtime } from './runtime.js';
import { askToSign, gasLimitOf } from './sign-step.js';
import { getWithdrawal, moveWithdrawal, type Withdrawal } from './withdrawal-store.js';

const LIVE = ['sent', 'seen', 'failed', 'expired', 'dropped', 'rpc_inconsistent'] as const;

async function latestBlock(c: ChainRuntime): Promise<bigint> {
  return c.endpoints[0]!.client.getBlockNumber({ cacheTime: 0 });
}

/** Sends a signed attempt to every endpoint: A1 → A2 (or A2 again after FAILED), or → FAILED when none takes it. */
export async function sendAttempt(rt: Runtime, w: Withdrawal, a: Attempt): Promise<'sent' | 'failed'> {
  const c = chainOf(rt, w.chainId);
  const r = await sendToAll(c.endpoints, a.rawTx as Hex);
  const block = await latestBlock(c).catch(() => null);
  await rt.db.transaction(async (tx) => {
    if (r.accepted === 0) {
      if (a.state === 'signed') await moveAttempt(tx, a.id, 'failed', 'rpc_refused', { actor: rt.actor, detail: { refused: r.refused } });
      return;
    }
    await moveAttempt(tx, a.id, 'sent', a.state === 'failed' ? 'resend' : 'rpc_accepted', { actor: rt.actor, detail: { accepted: r.accepted } });
    if (block !== null) await setAttemptFacts(tx, a.id, { sentBlock: block });
    const now = (await getWithdrawal(tx, w.id))!;
    if (now.state === 'signed') {
      await postBroadcast(tx, now);
      await moveWithdrawal(tx, w.id, 'broadcasted', 'attempt_sent', { actor: rt.actor, detail: { attemptId: a.id } });
    }
  });
  return r.accepted === 0 ? 'failed' : 'sent';
}

/** Reserved → Pending, once per withdrawal. */
async function postBroadcast(tx: Queryable, w: Withdrawal): Promise<void> {
  const account = customerAccount(w.customer, w.asset);
  await postEntryIn(tx, {
    kind: 'withdrawal.broadcast',
    idempotencyKey: `${w.id}:broadcast`,
    trace: { traceId: w.traceId },
    lines: [
      { account, state: 'reserved', amount: -w.amount },
      { account, state: 'pending', amount: w.amount },
    ],
  });
}

async function bumpCount(tx: Queryable, id: string, field: 'automatic_actions' | 'inconsistent_rounds', reset = false): Promise<number> {
  const r = await tx.query<{ n: number }>(`UPDATE orch_withdrawals SET ${field} = ${reset ? '0' : `${field} + 1`} WHERE id = $1 RETURNING ${field} AS n`, [id]);
  return r.rows[0]!.n;
}

async function toOperator(rt: Runtime, w: Withdrawal, exception: AttemptException | 'cancel', detail: Record<string, unknown>): Promise<void> {
  await rt.db.transaction(async (tx) => {
    const now = (await getWithdrawal(tx, w.id))!;
    if (now.state === 'broadcasted' || now.state === 'included') await moveWithdrawal(tx, w.id, 'operator', 'attempt_exception', { actor: rt.actor, detail: { exception, ...detail } });
  });
}

/** A new attempt at the same nonce with both fees at least 10% higher, within the cap; null when the cap forbids it. */
async function replaceWithBump(rt: Runtime, w: Withdrawal, last: Attempt): Promise<Attempt | null> {
  const c = chainOf(rt, w.chainId);
  const gasLimit = last.gasLimit ?? gasLimitOf(w, last, c);
  const offer = withinCap(bumpOffer({ maxFeePerGas: last.maxFeePerGas!, maxPriorityFeePerGas: last.maxPriorityFeePerGas! }), { gasLimit, maxFeeWei: c.feeCap.maxFeeWei });
  if (offer === null) return null;
  return rt.db.transaction(async (tx) => {
    await bumpCount(tx, w.id, 'automatic_actions');
    return createAttempt(tx, { withdrawalId: w.id, chainId: w.chainId, from: last.from, nonce: last.nonce, kind: last.kind, ...offer, gasLimit, actor: rt.actor });
  });
}

/**
 * One tracking round of a broadcast withdrawal: ask every endpoint about each live attempt, decide by
 * quorum, and act: an inclusion closes the other attempts at the nonce (REPLACED) and moves W6 → W7; a
 * revert goes to an operator; a FAILED send is re-sent; past the deadline an attempt in the mempool is
 * EXPIRED and one nowhere is DROPPED, and both are bumped (or handed to an operator, by policy); no
 * quorum is RPC_INCONSISTENT, asked again next round until the policy's limit.
 */
export async function trackOnce(rt: Runtime, w: Withdrawal): Promise<void> {
  const c = chainOf(rt, w.chainId);
  const asked = await cancelRequestOf(rt.db, w.id);
  if (asked !== null) {
    await makeCancelAttempt(rt, w, asked.actor);
    if ((await getWithdrawal(rt.db, w.id))!.state !== 'broadcasted') return; // a cancel above the fee cap: an operator decides
  }
  const all = await attemptsOf(rt.db, w.id);
  const cancelling = all.some((a) => a.kind === 'cancel');
  const attempts = all.filter((a) => (LIVE as readonly string[]).includes(a.state) || a.state === 'signed' || a.state === 'created');
  const head = await latestBlock(c);
  for (const a of attempts) {
    // Once a cancel is on its way, the transfer is not pushed again: it may still land, but is not helped to.
    if (cancelling && a.kind === 'transfer' && (a.state === 'signed' || a.state === 'failed')) continue;
    if (a.state === 'created') {
      const outcome = await askToSign(rt, w, a);
      if (outcome === 'denied' && a.kind === 'cancel') {
        await toOperator(rt, w, 'cancel', { attemptId: a.id, reason: 'the appliance refused the cancel' });
        return;
      }
      if (outcome !== 'signed') continue;
      const signed = (await attemptsOf(rt.db, w.id)).find((x) => x.id === a.id)!;
      await sendAttempt(rt, w, signed);
      continue;
    }
    if (a.state === 'signed' || a.state === 'failed') {
      if (a.state === 'failed') {
        const count = await rt.db.transaction((tx) => bumpCount(tx, w.id, 'automatic_actions'));
        if (routeOf('failed', rt.routes, count - 1) === 'operator') {
          await toOperator(rt, w, 'failed', { attemptId: a.id });
          return;
        }
      }
      await sendAttempt(rt, w, a);
      continue;
    }
    const verdict = decide(await askAll(c.endpoints, a.txHash as Hex), c.quorum ?? defaultQuorum(c.endpoints.length));
    if (verdict.kind === 'included') {
      // A reverted transaction still paid its fee: read it before the transaction that records the revert.
      const revertFee = verdict.status === 'reverted' ? await receiptFee(c, a.txHash as Hex, verdict.blockHash) : 0n;
      await rt.db.transaction(async (tx) => {
        await bumpCount(tx, w.id, 'inconsistent_rounds', true);
        const cause = a.state === 'rpc_inconsistent' ? 'quorum' : 'receipt';
        await moveAttempt(tx, a.id, 'included', cause, { actor: rt.actor, detail: { block: verdict.blockNumber.toString(), blockHash: verdict.blockHash } });
        await setAttemptFacts(tx, a.id, { includedBlock: verdict.blockNumber, includedBlockHash: verdict.blockHash });
        for (const other of attempts)
          if (other.id !== a.id && ['sent', 'seen', 'expired', 'dropped', 'failed'].includes(other.state))
            await moveAttempt(tx, other.id, 'replaced', 'other_included', { actor: rt.actor, detail: { canonical: a.id } });
        if (verdict.status === 'reverted') {
          await moveAttempt(tx, a.id, 'reverted', 'receipt_reverted', { actor: rt.actor });
          await postRevertFee(tx, w, revertFee);
          await moveWithdrawal(tx, w.id, 'operator', 'attempt_exception', { actor: rt.actor, detail: { exception: 'reverted', attemptId: a.id } });
          return;
        }
        await moveWithdrawal(tx, w.id, 'included', 'attempt_included', { actor: rt.actor, detail: { attemptId: a.id, block: verdict.blockNumber.toString() } });
      });
      return;
    }
    if (verdict.kind === 'inconsistent') {
      const rounds = await rt.db.transaction(async (tx) => {
        if (a.state !== 'rpc_inconsistent') await moveAttempt(tx, a.id, 'rpc_inconsistent', 'no_quorum', { actor: rt.actor, detail: { answers: verdict.answers, errors: verdict.errors } });
        return bumpCount(tx, w.id, 'inconsistent_rounds');
      });
      if (routeOf('rpc_inconsistent', rt.routes, 0, rounds) === 'operator') await toOperator(rt, w, 'rpc_inconsistent', { attemptId: a.id, rounds });
      continue;
    }
    // Not included, by quorum.
    if (a.state === 'rpc_inconsistent') {
      await rt.db.transaction(async (tx) => {
        await bumpCount(tx, w.id, 'inconsistent_rounds', true);
        await moveAttempt(tx, a.id, verdict.kind === 'absent' ? 'dropped' : 'sent', 'quorum', { actor: rt.actor });
      });
      continue;
    }
    if (verdict.kind === 'pending' && a.state === 'sent') await rt.db.transaction((tx) => moveAttempt(tx, a.id, 'seen', 'mempool_seen', { actor: rt.actor }));
    const overdue = a.sentBlock !== null && head - a.sentBlock >= BigInt(c.inclusionDeadlineBlocks);
    const newest = attempts[attempts.length - 1]!.id === a.id;
    if (!overdue || !newest) continue;
    // An expired or dropped attempt that is still the newest has no replacement yet: the worker stopped
    // between marking it and bumping (a crash), or an operator sent the withdrawal back to be retried.
    const already = a.state === 'expired' || a.state === 'dropped';
    const exception: AttemptException = already ? (a.state as 'expired' | 'dropped') : verdict.kind === 'absent' ? 'dropped' : 'expired';
    if (!already)
      await rt.db.transaction((tx) =>
        moveAttempt(tx, a.id, exception, exception === 'dropped' ? 'mempool_gone' : 'deadline_passed', { actor: rt.actor, detail: { sentBlock: a.sentBlock!.toString(), head: head.toString() } }),
      );
    const done = (await getWithdrawal(rt.db, w.id))!;
    const count = await rt.db.query<{ n: number }>('SELECT automatic_actions AS n FROM orch_withdrawals WHERE id = $1', [w.id]);
    if (routeOf(exception, rt.routes, count.rows[0]!.n) === 'operator') {
      await toOperator(rt, done, exception, { attemptId: a.id });
      return;
    }
    const next = await replaceWithBump(rt, done, { ...a, state: exception });
    if (next === null) {
      await toOperator(rt, done, exception, { attemptId: a.id, reason: 'a bump would cross the policy fee cap' });
      return;
    }
    if ((await askToSign(rt, done, next)) === 'signed') {
      const signed = (await attemptsOf(rt.db, w.id)).find((x) => x.id === next.id)!;
      await sendAttempt(rt, done, signed);
    }
  }
}

/**
 * An included withdrawal at or below the final block: checked again by quorum (a reorg that removed it
 * sends it back to W6), then A → finalized, W → finalized, the ledger's finality posting with the fee
 * from the receipt (W9) and W10, in one transaction.
 */
export async function finalizeOnce(rt: Runtime, w: Withdrawal): Promise<void> {
  const c = chainOf(rt, w.chainId);
  const a = (await attemptsOf(rt.db, w.id)).find((x) => x.state === 'included' || x.state === 'confirmed');
  if (a === undefined || a.includedBlock === null) return;
  const verdict = decide(await askAll(c.endpoints, a.txHash as Hex), c.quorum ?? defaultQuorum(c.endpoints.length));
  if (verdict.kind === 'included' && verdict.blockHash !== a.includedBlockHash) {
    await rt.db.transaction((tx) => setAttemptFacts(tx, a.id, { includedBlock: verdict.blockNumber, includedBlockHash: verdict.blockHash }));
    return;
  }
  if (verdict.kind === 'absent' || verdict.kind === 'pending') {
    await rt.db.transaction(async (tx) => {
      await moveAttempt(tx, a.id, 'sent', 'reorg', { actor: rt.actor, detail: { block: a.includedBlock!.toString() } });
      await setAttemptFacts(tx, a.id, { includedBlock: null, includedBlockHash: null });
      await moveWithdrawal(tx, w.id, 'broadcasted', 'reorg', { actor: rt.actor, detail: { attemptId: a.id } });
    });
    return;
  }
  if (verdict.kind !== 'included') return;
  if (verdict.blockNumber > (await finalBlock(c.endpoints[0]!.client, c.finality))) return;
  const receipt = await c.endpoints[0]!.client.getTransactionReceipt({ hash: a.txHash as Hex });
  const fee = receipt.gasUsed * receipt.effectiveGasPrice;
  if (a.kind === 'cancel') {
    await rt.db.transaction(async (tx) => {
      await moveAttempt(tx, a.id, 'finalized', 'final', { actor: rt.actor });
      await postCancelFinal(tx, w, fee);
      await moveWithdrawal(tx, w.id, 'cancelled', 'cancel_final', { actor: rt.actor, detail: { attemptId: a.id, block: verdict.blockNumber.toString(), fee: fee.toString() } });
    });
    return;
  }
  await rt.db.transaction(async (tx) => {
    await moveAttempt(tx, a.id, 'finalized', 'final', { actor: rt.actor });
    await moveWithdrawal(tx, w.id, 'finalized', 'attempt_finalized', { actor: rt.actor, detail: { block: verdict.blockNumber.toString() } });
    const posted = await postFinality(tx, w, fee);
    await moveWithdrawal(tx, w.id, 'ledger_posted', 'ledger_posted', { actor: rt.actor, detail: { ledgerEntry: posted, fee: fee.toString() } });
    await moveWithdrawal(tx, w.id, 'completed', 'completed', { actor: rt.actor });
  });
}

/** The fee a transaction paid, from the receipt of the first endpoint that has it in `blockHash`. */
async function receiptFee(c: ChainRuntime, hash: Hex, blockHash: string): Promise<bigint> {
  for (const e of c.endpoints) {
    try {
      const r = await e.client.getTransactionReceipt({ hash });
      if (r.blockHash.toLowerCase() === blockHash.toLowerCase()) return r.gasUsed * r.effectiveGasPrice;
    } catch {
      // the next endpoint
    }
  }
  throw new OrchestratorError('not_found', 'no endpoint gave the receipt of the reverted transaction', { txHash: hash });
}

/** A reverted transaction's fee: the hot address's native Settled rises by it, the fee account falls; once per withdrawal. */
async function postRevertFee(tx: Queryable, w: Withdrawal, fee: bigint): Promise<void> {
  await postFeeOnly(tx, w, fee, `${w.id}:revert-fee`);
}

/** A final cancel: the customer's Pending back to Available, and the cancel's own fee paid by the hot address. */
async function postCancelFinal(tx: Queryable, w: Withdrawal, fee: bigint): Promise<void> {
  const account = customerAccount(w.customer, w.asset);
  await postEntryIn(tx, {
    kind: 'withdrawal.failure',
    idempotencyKey: `${w.id}:cancel`,
    trace: { traceId: w.traceId },
    lines: [
      { account, state: 'pending', amount: -w.amount },
      { account, state: 'available', amount: w.amount },
    ],
  });
  await postFeeOnly(tx, w, fee, `${w.id}:cancel-fee`);
}

/** The fee of a transaction that moved nothing else (a revert, a cancel): the hot address's native Settled rises by it, the fee account falls. */
async function postFeeOnly(tx: Queryable, w: Withdrawal, fee: bigint, idempotencyKey: string): Promise<void> {
  if (fee === 0n) return;
  const native = nativeAsset(w.chainId);
  const hotNative = custodyAccount(w.from!, native);
  const fees = feesAccount(native);
  for (const acc of [hotNative, fees]) await openAccount(tx, acc);
  await postEntryIn(tx, {
    kind: 'withdrawal.fee',
    idempotencyKey,
    trace: { traceId: w.traceId },
    lines: [
      { account: hotNative, state: 'settled', amount: fee },
      { account: fees, state: 'settled', amount: -fee },
    ],
  });
}

/** Pending out of the customer's account; the hot address's Settled rises by the amount and the fee; the fee to the fee account. */
async function postFinality(tx: Queryable, w: Withdrawal, fee: bigint): Promise<number> {
  const native = nativeAsset(w.chainId);
  const customer = customerAccount(w.customer, w.asset);
  const hot = custodyAccount(w.from!, w.asset);
  const hotNative = custodyAccount(w.from!, native);
  const fees = feesAccount(native);
  for (const acc of [hot, hotNative, fees]) await openAccount(tx, acc);
  const lines =
    w.asset === native
      ? [
          { account: customer, state: 'pending' as const, amount: -w.amount },
          { account: hot, state: 'settled' as const, amount: w.amount + fee },
          { account: fees, state: 'settled' as const, amount: -fee },
        ]
      : [
          { account: customer, state: 'pending' as const, amount: -w.amount },
          { account: hot, state: 'settled' as const, amount: w.amount },
          { account: hotNative, state: 'settled' as const, amount: fee },
          { account: fees, state: 'settled' as const, amount: -fee },
        ];
  const posted = await postEntryIn(tx, { kind: 'withdrawal.finality', idempotencyKey: `${w.id}:finality`, trace: { traceId: w.traceId }, lines: lines.filter((l) => l.amount !== 0n) });
  return posted.entry.id;
}
