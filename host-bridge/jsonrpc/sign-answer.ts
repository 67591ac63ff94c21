// A signing answer of the appliance (sign.evm-tx, sign.typed-data, or request.get of a stored one) as
// a JSON-RPC outcome: the signed answer is returned; pending approval, a denial, a failed or aborted
// signature and a request still being signed become RpcErrors carrying the appliance's own words
// (request id, reasons with rule, code and message) in `data`. Nothing is judged here.
import type { CborMap } from '../../protocol/cbor.js';
import type { RequestAnswer, SignedTxAnswer, SignedTypedAnswer } from '../../protocol/commands/signing-answer.js';
import { cborToJson } from '../json-cbor.js';
import { RPC_ERROR, RpcError } from './rpc-errors.js';

type AnyAnswer = RequestAnswer | { status: 'signing'; requestId: string };

const json = (v: unknown) => cborToJson(v as CborMap) as Record<string, unknown>;

/** How to follow a request the appliance holds: read it over REST, or call again under its id. */
export function howToPoll(requestId: string) {
  return {
    poll: { method: 'GET', path: `/v1/requests/${encodeURIComponent(requestId)}` },
    retry: { header: 'Idempotency-Key', value: requestId, note: 'call the same method again with this header to get the signed result once approved' },
  };
}

/** The answer when signed (of the expected kind); an RpcError for every other status. */
export function signedOrThrow<S extends SignedTxAnswer | SignedTypedAnswer>(answer: AnyAnswer, kind: S extends SignedTxAnswer ? 'transaction' : 'typedData'): S {
  const a = answer as AnyAnswer & Record<string, unknown>;
  switch (a.status) {
    case 'signed': {
      const has = kind === 'transaction' ? a.rawTransaction instanceof Uint8Array : a.signature instanceof Uint8Array;
      if (!has)
        throw new RpcError(RPC_ERROR.conflict, `request "${a.requestId}" is not a ${kind === 'transaction' ? 'transaction' : 'typed-data'} request`, { code: 'conflict', requestId: a.requestId });
      return answer as S;
    }
    case 'pending_approval': {
      const p = json(a);
      throw new RpcError(RPC_ERROR.pendingApproval, `request "${a.requestId}" waits for approvals (${(a.approvedBy as string[]).length} of ${String(a.required)})`, {
        requestId: a.requestId,
        status: a.status,
        required: p.required,
        approvedBy: p.approvedBy,
        intentDigest: p.intentDigest,
        statement: p.statement,
        reasons: p.reasons,
        auditSeq: p.auditSeq,
        ...howToPoll(a.requestId),
      });
    }
    case 'denied': {
      const p = json(a);
      const reasons = (p.reasons ?? []) as { rule: string; code: string; message: string }[];
      throw new RpcError(RPC_ERROR.denied, `denied by the appliance's policy: ${reasons.map((r) => `${r.rule}/${r.code}`).join(', ')}`, {
        requestId: a.requestId,
        status: a.status,
        reasons,
        intentDigest: p.intentDigest,
        auditSeq: p.auditSeq,
      });
    }
    case 'failed':
    case 'aborted':
      throw new RpcError(RPC_ERROR.signingFailed, `request "${a.requestId}" was not signed (${a.status}): ${String(a.message)}`, { ...json(a) });
    case 'signing':
      throw new RpcError(RPC_ERROR.conflict, `request "${a.requestId}" is being signed; call again`, { code: 'conflict', requestId: a.requestId, status: a.status });
    default:
      throw new RpcError(RPC_ERROR.serverError, 'the appliance gave an answer of unknown status');
  }
}
