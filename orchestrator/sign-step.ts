// W1 → W4 → W5 (or W2): the orchestrator asks the appliance, through the bridge, to sign an attempt.
// Before the bridge is called, the nonce is reserved, the attempt row (A0) exists and the withdrawal
// is in `signing`, all committed; the attempt id is the request's Idempotency-Key, so asking again
// after a crash gets the appliance's stored answer and never a second signature. The same call, made
// again while approvals are pending, learns when they are complete.
import { encodeFunctionData, erc20Abi, keccak256, parseTransaction, type Hex } from 'viem';
import { stampSignRequest } from '../ledger/request-stamps.js';
import { createAttempt, recordSigned, setAttemptFacts, type Attempt } from './attempt-store.js';
import { releaseReservation } from './cancel.js';
import { confirmedNonce } from './endpoints.js';
import { OrchestratorError } from './errors.js';
import { initialOffer, withinCap, type FeeOffer } from './fees.js';
import { reserveNonce } from './nonce-manager.js';
import { chainOf, type ChainRuntime, type Runtime } from './runtime.js';
import { getWithdrawal, moveWithdrawal, setWithdrawalFrom, type Withdrawal } from './withdrawal-store.js';

/** The call an attempt makes: a native transfer, or an ERC-20 transfer; a cancel is 0 to self. */
export function callOf(w: Withdrawal, a: Pick<Attempt, 'kind' | 'from'>): { to: Hex; value: bigint; data?: Hex } {
  if (a.kind === 'cancel') return { to: a.from as Hex, value: 0n };
  if (w.asset.endsWith(':native')) return { to: w.to as Hex, value: w.amount };
  const token = w.asset.split(':erc20:')[1] as Hex;
  return { to: token, value: 0n, data: encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [w.to as Hex, w.amount] }) };
}

export function gasLimitOf(w: Withdrawal, a: Pick<Attempt, 'kind'>, c: ChainRuntime): bigint {
  return a.kind === 'cancel' || w.asset.endsWith(':native') ? c.gasLimits.native : c.gasLimits.erc20;
}

/** The first fee offer for a chain, from its fee history, or null when it is above the policy's cap. */
export async function firstOffer(c: ChainRuntime, gasLimit: bigint): Promise<FeeOffer | null> {
  const h = await c.endpoints[0]!.client.getFeeHistory({ blockCount: 5, rewardPercentiles: [50] });
  const offer = initialOffer({ baseFeePerGas: h.baseFeePerGas, reward: h.reward ?? [] });
  return withinCap(offer, { gasLimit, maxFeeWei: c.feeCap.maxFeeWei });
}

/**
 * Reserves the nonce, makes attempt A0 and moves W1 → W4, in one transaction; returns the attempt, or
 * null when the fees are above the policy's cap (the withdrawal then waits for an operator).
 */
export async function prepareFirstAttempt(rt: Runtime, w: Withdrawal): Promise<Attempt | null> {
  const c = chainOf(rt, w.chainId);
  const confirmed = await confirmedNonce(c.endpoints, c.hot.address);
  if (confirmed === null) throw new OrchestratorError('bad_request', 'the RPC endpoints do not agree on the hot address nonce', { chainId: w.chainId.toString() });
  const gasLimit = gasLimitOf(w, { kind: 'transfer' }, c);
  const offer = await firstOffer(c, gasLimit);
  return rt.db.transaction(async (tx) => {
    const nonce = await reserveNonce(tx, { chainId: w.chainId, from: c.hot.address }, w.id, confirmed);
    await setWithdrawalFrom(tx, w.id, c.hot.address);
    if (offer === null) {
      if (w.state === 'policy_checked') await moveWithdrawal(tx, w.id, 'signing', 'sign_requested', { actor: rt.actor });
      await moveWithdrawal(tx, w.id, 'operator', 'signing_unknown', { actor: rt.actor, detail: { reason: 'fee_above_cap' } });
      return null;
    }
    const a = await createAttempt(tx, { withdrawalId: w.id, chainId: w.chainId, from: c.hot.address, nonce, kind: 'transfer', ...offer, gasLimit, actor: rt.actor });
    if (w.state === 'policy_checked') await moveWithdrawal(tx, w.id, 'signing', 'sign_requested', { actor: rt.actor, detail: { attemptId: a.id, nonce: nonce.toString() } });
    return a;
  });
}

export type SignOutcome = 'signed' | 'pending' | 'denied';

/**
 * Asks the bridge to sign the attempt (idempotent by its id) and records the answer: A1 with the raw
 * transaction, or the withdrawal moved to approval_pending, approved → signed, or rejected (its
 * reservation released). For a replacement the withdrawal's state does not change.
 */
export async function askToSign(rt: Runtime, w: Withdrawal, a: Attempt): Promise<SignOutcome> {
  const c = chainOf(rt, w.chainId);
  const call = callOf(w, a);
  const body: Record<string, unknown> = {
    keyId: c.hot.keyId,
    transaction: {
      type: 'eip1559',
      chainId: w.chainId.toString(),
      nonce: a.nonce.toString(),
      to: call.to,
      value: call.value.toString(),
      ...(call.data === undefined ? {} : { data: call.data }),
      gasLimit: (a.gasLimit ?? gasLimitOf(w, a, c)).toString(),
      maxFeePerGas: a.maxFeePerGas!.toString(),
      maxPriorityFeePerGas: a.maxPriorityFeePerGas!.toString(),
    },
    ...(w.travelRuleHash !== null && a.kind === 'transfer' ? { travelRuleHash: w.travelRuleHash } : {}),
  };
  if (rt.requester.stamp !== undefined) body.stamp = await stampSignRequest(rt.deviceId, { id: rt.requester.id, stamp: rt.requester.stamp }, body, a.id, rt.stampTtlSeconds);
  const answer = await rt.bridge.signEvmTransaction(body, a.id);
  const primary = a.kind === 'transfer' && (w.state === 'signing' || w.state === 'approval_pending');
  if (answer.status === 'signed') {
    const raw = answer.rawTransaction as Hex;
    checkSigned(w, a, call, raw);
    await rt.db.transaction(async (tx) => {
      await recordSigned(tx, a.id, { txHash: keccak256(raw), rawTx: raw }, rt.actor);
      if (answer.auditSeq !== undefined) await setAttemptFacts(tx, a.id, { auditSeq: answer.auditSeq });
      if (!primary) return;
      const now = (await getWithdrawal(tx, w.id))!;
      if (now.state === 'approval_pending') await moveWithdrawal(tx, w.id, 'approved', 'approvals_complete', { actor: rt.actor });
      await moveWithdrawal(tx, w.id, 'signed', 'appliance_signed', { actor: rt.actor, detail: { attemptId: a.id, auditSeq: answer.auditSeq ?? null } });
    });
    return 'signed';
  }
  if (answer.status === 'pending_approval') {
    if (primary && w.state === 'signing') await rt.db.transaction((tx) => moveWithdrawal(tx, w.id, 'approval_pending', 'appliance_pending', { actor: rt.actor, detail: { attemptId: a.id } }));
    return 'pending';
  }
  const reasons = answer.reasons ?? [];
  if (primary) await rt.db.transaction(async (tx) => releaseReservation(tx, (await getWithdrawal(tx, w.id))!, 'rejected', 'appliance_denied', { actor: rt.actor, detail: { reasons } }));
  return 'denied';
}

/** The signed transaction must be exactly the one asked for: same chain, nonce, recipient, value, data, fees. */
function checkSigned(w: Withdrawal, a: Attempt, call: { to: Hex; value: bigint; data?: Hex }, raw: Hex): void {
  const tx = parseTransaction(raw);
  const same =
    BigInt(tx.chainId ?? 0) === w.chainId &&
    BigInt(tx.nonce ?? -1) === a.nonce &&
    tx.to?.toLowerCase() === call.to.toLowerCase() &&
    (tx.value ?? 0n) === call.value &&
    (tx.data ?? '0x').toLowerCase() === (call.data ?? '0x').toLowerCase() &&
    tx.maxFeePerGas === a.maxFeePerGas &&
    tx.maxPriorityFeePerGas === a.maxPriorityFeePerGas;
  if (!same) throw new OrchestratorError('bad_request', 'the bridge answered a transaction other than the one asked for', { attemptId: a.id });
}
