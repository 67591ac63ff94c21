// Shared judgements: a signing request (a transaction or typed data) denied by the policy, and an
// approval rejected by it. Each asserts the specific refusal (status, rule code or rejection reason),
// that nothing was signed, and finds the audit entry that records it.
import type { Outcome, Verdict } from './scenario.js';
import { reasonCodes, rejectedWhy, type Json, type RedteamDevice, type Reply, problemFields } from './harness.js';

/** A sign request denied with `code` among its reasons; `head` is the audit head before the attack. */
export async function judgeDenied(dev: RedteamDevice, v: Verdict, head: number, r: Reply, code: string): Promise<Outcome> {
  const codes = reasonCodes(r.json);
  v.expect(r.status === 403 && r.json.status === 'denied', `expected 403 denied, got ${r.status} ${String(r.json.status ?? r.json.code)}`);
  v.expect(codes.includes(code), `expected reason ${code}, got [${codes.join(', ')}]`);
  v.expect(r.json.rawTransaction === undefined && r.json.txHash === undefined, 'the response carries a signature');
  v.expect(await dev.noSignatureSince(head), 'the audit log records a signature made since the attack');
  const seq = await dev.findAudit(head, (p) => p.kind === 'sign.evm-tx' && p.requestId === r.json.requestId && p.outcome === 'deny' && reasonCodes(p).includes(code));
  const logged = v.recorded(seq !== null && seq === Number(r.json.auditSeq), `no audit entry (sign.evm-tx, deny, ${code}) for ${String(r.json.requestId)}`);
  return { result: `${r.status} ${String(r.json.status)} [${codes.join(', ')}], nothing signed`, auditSeq: seq, logged };
}

/** A typed-data sign request denied with `code` among its reasons: no signature, nothing signed since `head`, and its audit entry. */
export async function judgeTypedDenied(dev: RedteamDevice, v: Verdict, head: number, r: Reply, code: string): Promise<Outcome> {
  const codes = reasonCodes(r.json);
  v.expect(r.status === 403 && r.json.status === 'denied', `expected 403 denied, got ${r.status} ${String(r.json.status ?? r.json.code)}`);
  v.expect(codes.includes(code), `expected reason ${code}, got [${codes.join(', ')}]`);
  v.expect(r.json.signature === undefined, 'the response carries a signature');
  v.expect(await dev.noSignatureSince(head), 'the audit log records a signature made since the attack');
  const seq = await dev.findAudit(head, (p) => p.kind === 'sign.typed-data' && p.requestId === r.json.requestId && p.outcome === 'deny' && reasonCodes(p).includes(code));
  const logged = v.recorded(seq !== null && seq === Number(r.json.auditSeq), `no audit entry (sign.typed-data, deny, ${code}) for ${String(r.json.requestId)}`);
  return { result: `${r.status} ${String(r.json.status)} [${codes.join(', ')}], nothing signed`, auditSeq: seq, logged };
}

/** The current state of a request, as an auditor reads it (a requester reads only its own). */
export async function requestState(dev: RedteamDevice, requestId: string): Promise<Json> {
  return (await dev.request('GET', `/v1/requests/${requestId}`, dev.tokens.auditor)).json;
}

/**
 * An approval refused with `why` (the firmware's rejection reason): 403 denied naming it, the request
 * still pending without that approver, nothing signed, and a `request.approve` entry recording it.
 */
export async function judgeRejectedApproval(dev: RedteamDevice, v: Verdict, head: number, r: Reply, requestId: string, approverId: string, why: string): Promise<{ seq: number | null; text: string }> {
  const err = problemFields(r.json);
  v.expect(r.status === 403 && err.code === 'denied', `expected 403 denied, got ${r.status} ${String(err.code ?? r.json.status)}`);
  v.expect(err.details?.why === why, `expected rejection "${why}", got "${String(err.details?.why)}"`);
  const state = await requestState(dev, requestId);
  v.expect(state.status === 'pending_approval', `request is ${String(state.status)}, not pending`);
  v.expect(!((state.approvedBy ?? []) as string[]).includes(approverId), `${approverId} counts on the request`);
  v.expect(await dev.noSignatureSince(head), 'the audit log records a signature made since the attack');
  const seq = await dev.findAudit(head, (p) => p.kind === 'request.approve' && p.requestId === requestId && p.outcome === 'rejected' && rejectedWhy(p) === why);
  v.recorded(seq !== null, `no audit entry (request.approve, rejected, ${why}) for ${requestId}`);
  return { seq, text: `${r.status} ${String(err.code)} (${String(err.details?.why)})` };
}
