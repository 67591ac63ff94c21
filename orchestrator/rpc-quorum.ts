// Deciding what the chain says when several RPC endpoints answer: each endpoint's answer about one
// transaction (a receipt in some block, not found, in the mempool, or no answer at all), and a quorum
// (a strict majority of the endpoints configured, unless set higher) that must agree before the
// tracker acts. Without it the verdict is `inconsistent` (RPC_INCONSISTENT), and the tracker does not
// move the attempt on the word of one node.

export type TxAnswer =
  | { kind: 'included'; blockHash: string; blockNumber: bigint; status: 'success' | 'reverted' }
  | { kind: 'pending' } // in the endpoint's mempool, no receipt
  | { kind: 'absent' } // neither a receipt nor in the mempool
  | { kind: 'error' }; // no answer (timeout, refused, malformed)

export type Verdict =
  | { kind: 'included'; blockHash: string; blockNumber: bigint; status: 'success' | 'reverted'; votes: number }
  | { kind: 'pending'; votes: number }
  | { kind: 'absent'; votes: number }
  | { kind: 'inconsistent'; answers: number; errors: number };

export function defaultQuorum(endpoints: number): number {
  return Math.floor(endpoints / 2) + 1;
}

function keyOf(a: TxAnswer): string | null {
  if (a.kind === 'error') return null;
  if (a.kind === 'included') return `included:${a.blockHash.toLowerCase()}:${a.status}`;
  return a.kind;
}

/** The verdict of `answers` (one per configured endpoint) under `quorum`. */
export function decide(answers: readonly TxAnswer[], quorum = defaultQuorum(answers.length)): Verdict {
  if (!Number.isSafeInteger(quorum) || quorum < 1 || quorum > answers.length) throw new RangeError('quorum must be between 1 and the number of endpoints');
  const counts = new Map<string, { n: number; a: TxAnswer }>();
  for (const a of answers) {
    const k = keyOf(a);
    if (k === null) continue;
    const c = counts.get(k) ?? { n: 0, a };
    c.n++;
    counts.set(k, c);
  }
  // Mempool presence and absence agree that the transaction is not in a block: a node that saw it and
  // one that did not are both "not included"; count them together for the not-included verdict.
  const pending = counts.get('pending')?.n ?? 0;
  const absent = counts.get('absent')?.n ?? 0;
  for (const { n, a } of counts.values()) {
    if (a.kind === 'included' && n >= quorum) return { kind: 'included', blockHash: a.blockHash, blockNumber: a.blockNumber, status: a.status, votes: n };
  }
  if (pending + absent >= quorum) return pending > 0 ? { kind: 'pending', votes: pending + absent } : { kind: 'absent', votes: absent };
  return { kind: 'inconsistent', answers: answers.length, errors: answers.filter((a) => a.kind === 'error').length };
}
