// Bearer tokens of the custody API with scopes: `reader` reads the ledger and the registry, `operator`
// reads and changes what the API lets an operator change (registering a hot address, the withdrawal
// exception queue), `requester` asks for withdrawals and cancels them (an integrator's service). The config holds
// only SHA-256 hashes of tokens (host-bridge/auth.ts hashToken); a token is shown once, when made
// (`custodyctl token`). Lookup is by hash with a constant-time comparison.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { hashToken } from '../host-bridge/auth.js';
import { ProblemError } from './problem.js';

export { hashToken };

export const CUSTODY_SCOPES = ['reader', 'operator', 'requester'] as const;
export type CustodyScope = (typeof CUSTODY_SCOPES)[number];

export interface CustodyTokenRecord {
  name: string;
  scopes: CustodyScope[];
  /** SHA-256 of the token, lower-case hex. */
  sha256: string;
}

/** Who a request comes from: the token's name (never the token) and its scopes. */
export interface Caller {
  name: string;
  scopes: CustodyScope[];
}

/** A new token and the record to put in the config's `tokens` (the token itself goes nowhere else). */
export function makeToken(name: string, scopes: CustodyScope[]): { token: string; record: CustodyTokenRecord } {
  const token = `cst_${randomBytes(24).toString('base64url')}`;
  return { token, record: { name, scopes, sha256: hashToken(token) } };
}

export class CustodyTokens {
  private readonly byHash: Map<string, CustodyTokenRecord>;
  constructor(records: CustodyTokenRecord[]) {
    this.byHash = new Map(records.map((r) => [r.sha256, r]));
  }

  /** The caller for an Authorization header holding one of `scopes`; 401 or 403 otherwise. */
  verify(header: string | undefined, scopes: readonly CustodyScope[]): Caller {
    const m = header ? /^Bearer ([A-Za-z0-9._~+/=-]{8,256})$/.exec(header) : null;
    if (!m?.[1]) throw new ProblemError('unauthorized', 'missing or malformed bearer token');
    const h = hashToken(m[1]);
    const rec = this.byHash.get(h);
    if (!rec || !timingSafeEqual(Buffer.from(rec.sha256, 'hex'), Buffer.from(h, 'hex'))) throw new ProblemError('unauthorized', 'unknown bearer token');
    if (!rec.scopes.some((s) => scopes.includes(s))) throw new ProblemError('forbidden', `this route needs a token with scope ${scopes.join(' or ')}`, { scopes: [...scopes] });
    return { name: rec.name, scopes: rec.scopes };
  }
}
