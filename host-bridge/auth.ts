// Bearer tokens with scopes. The config file stores only SHA-256 hashes of tokens; a token is shown
// once, when it is made. Comparison is constant-time over the hashes. Every token is bound to one
// principal id of the policy (an orchestrator token to a requester, an admin token to an admin...):
// that id, never the token's name, is the requester the bridge names to the appliance, which refuses
// an id its active policy does not give the role. A token without a principal is refused.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ApplianceError } from '../protocol/errors.js';

export const SCOPES = ['orchestrator', 'approver', 'admin', 'auditor'] as const;
export type Scope = (typeof SCOPES)[number];

export interface TokenRecord {
  name: string;
  scopes: Scope[];
  sha256: string;
  /** The policy principal id this token speaks for (absent in token files made before binding: refused). */
  principal?: string;
}

/** Who a request comes from: the token's name (for logs) and the policy principal it is bound to. */
export interface Principal {
  name: string;
  /** The policy principal id: what the appliance sees as the requester. */
  id: string;
  scopes: Scope[];
}

const ID_RE = /^[A-Za-z0-9._@:-]{1,128}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function readTokens(file: string): TokenRecord[] {
  if (!existsSync(file)) return [];
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { tokens?: TokenRecord[] };
  return parsed.tokens ?? [];
}

/** Makes a token bound to policy principal `principal`, stores its hash under `name`, and returns the token (to be shown once). */
export function addToken(file: string, name: string, scopes: Scope[], principal: string): string {
  for (const s of scopes) if (!(SCOPES as readonly string[]).includes(s)) throw new ApplianceError('bad_request', `unknown scope "${s}"`);
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new ApplianceError('bad_request', 'token name must be 1-64 of [A-Za-z0-9._-]');
  if (!ID_RE.test(principal)) throw new ApplianceError('bad_request', 'the principal id must be 1-128 of [A-Za-z0-9._@:-]');
  const tokens = readTokens(file).filter((t) => t.name !== name);
  const token = `hsm_${randomBytes(24).toString('base64url')}`;
  tokens.push({ name, scopes, sha256: hashToken(token), principal });
  writeFileSync(file, JSON.stringify({ tokens }, null, 2) + '\n', { mode: 0o600 });
  return token;
}

export class TokenVerifier {
  private readonly byHash: Map<string, TokenRecord>;
  constructor(records: TokenRecord[]) {
    this.byHash = new Map(records.map((r) => [r.sha256, r]));
  }

  /** The principal for an Authorization header value, or an `unauthorized` error. */
  verify(header: string | undefined): Principal {
    const m = header ? /^Bearer ([A-Za-z0-9._~+/=-]{8,256})$/.exec(header) : null;
    if (!m?.[1]) throw new ApplianceError('unauthorized', 'missing or malformed bearer token');
    const h = hashToken(m[1]);
    const rec = this.byHash.get(h);
    if (!rec || !timingSafeEqual(Buffer.from(rec.sha256, 'hex'), Buffer.from(h, 'hex'))) throw new ApplianceError('unauthorized', 'unknown bearer token');
    if (typeof rec.principal !== 'string' || !ID_RE.test(rec.principal)) {
      throw new ApplianceError('unauthorized', 'this token is bound to no policy principal; issue a new one with --principal', { code: 'token_unbound' });
    }
    return { name: rec.name, id: rec.principal, scopes: rec.scopes };
  }
}
