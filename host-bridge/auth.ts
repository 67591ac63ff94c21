// Bearer tokens with scopes. The config file stores only SHA-256 hashes of tokens; a token is shown
// once, when it is made. Comparison is constant-time over the hashes. Every token is bound to one
// principal id of the policy (an orchestrator token to a requester, an admin token to an admin...):
// that id, never the token's name, is the requester the bridge names to the appliance, which refuses
// an id its active policy does not give the role. A token without a principal is refused.
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, readFileSync, renameSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ApplianceError } from '../protocol/errors.js';

export const SCOPES = ['orchestrator', 'approver', 'admin', 'auditor'] as const;
export type Scope = (typeof SCOPES)[number];

export interface TokenRecord {
  name: string;
  scopes: Scope[];
  sha256: string;
  /** The policy principal id this token speaks for (absent in token files made before binding: refused). */
  principal?: string;
  /** Unix seconds when the token was added (absent in files made before it was recorded). */
  createdAt?: number;
  /** Unix seconds of the last `token rotate`, if any. */
  rotatedAt?: number;
}

/** What `token list` shows of a record: never its hash. */
export interface TokenListing {
  name: string;
  scopes: Scope[];
  principal: string | null;
  createdAt: number | null;
  rotatedAt: number | null;
}

/** Who a request comes from: the token's name (for logs) and the policy principal it is bound to. */
export interface Principal {
  name: string;
  /** The policy principal id: what the appliance sees as the requester. */
  id: string;
  scopes: Scope[];
}

const ID_RE = /^[A-Za-z0-9._@:-]{1,128}$/;

/** SHA-256 of the token, hex (one-shot: on every request's path, a Hash object costs several times more). */
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

export function readTokens(file: string): TokenRecord[] {
  if (!existsSync(file)) return [];
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { tokens?: TokenRecord[] };
  return parsed.tokens ?? [];
}

const NAME_RE = /^[A-Za-z0-9._-]{1,64}$/;
const newSecret = () => `hsm_${randomBytes(24).toString('base64url')}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Writes the records so that a running bridge, which reads the file on each request, never sees half a
 * file: a temporary file beside it, given the old file's mode, owner and group (a deployment gives the
 * file to the bridge's group once: docs/deployment.md), then renamed over it. Where that cannot be done
 * (a symlink or bind-mounted file, a folder this user cannot write, an owner it cannot give), the file
 * is rewritten in place, which also keeps its owner and mode. A new file is made 0600.
 */
function writeTokens(file: string, tokens: TokenRecord[]): void {
  const text = JSON.stringify({ tokens }, null, 2) + '\n';
  let old: Stats | undefined;
  try {
    old = lstatSync(file);
  } catch {
    old = undefined;
  }
  if (old === undefined || old.isFile()) {
    const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      writeFileSync(tmp, text, { mode: 0o600, flag: 'wx' });
      if (old !== undefined) {
        chmodSync(tmp, old.mode & 0o7777);
        chownSync(tmp, old.uid, old.gid);
      }
      renameSync(tmp, file);
      return;
    } catch {
      rmSync(tmp, { force: true });
    }
  }
  writeFileSync(file, text, { mode: 0o600 });
}

/** Makes a token bound to policy principal `principal`, stores its hash under `name`, and returns the token (to be shown once). */
export function addToken(file: string, name: string, scopes: Scope[], principal: string): string {
  for (const s of scopes) if (!(SCOPES as readonly string[]).includes(s)) throw new ApplianceError('bad_request', `unknown scope "${s}"`);
  if (!NAME_RE.test(name)) throw new ApplianceError('bad_request', 'token name must be 1-64 of [A-Za-z0-9._-]');
  if (!ID_RE.test(principal)) throw new ApplianceError('bad_request', 'the principal id must be 1-128 of [A-Za-z0-9._@:-]');
  const tokens = readTokens(file).filter((t) => t.name !== name);
  const token = newSecret();
  tokens.push({ name, scopes, sha256: hashToken(token), principal, createdAt: nowSeconds() });
  writeTokens(file, tokens);
  return token;
}

const listing = (t: TokenRecord): TokenListing => ({ name: t.name, scopes: t.scopes, principal: t.principal ?? null, createdAt: t.createdAt ?? null, rotatedAt: t.rotatedAt ?? null });

/** The tokens of a file as `token list` shows them: name, scopes, principal and dates, no hash. */
export function listTokens(file: string): TokenListing[] {
  return readTokens(file).map(listing);
}

function requireRecord(tokens: TokenRecord[], file: string, name: string): TokenRecord {
  const rec = tokens.find((t) => t.name === name);
  if (!rec) throw new ApplianceError('not_found', `no token named "${name}" in ${file} (hsmctl token list shows them)`, { name });
  return rec;
}

/** Removes the token named `name`; an unknown name is `not_found`. Returns what was removed. */
export function revokeToken(file: string, name: string): TokenListing {
  const tokens = readTokens(file);
  const removed = requireRecord(tokens, file, name);
  writeTokens(
    file,
    tokens.filter((t) => t !== removed),
  );
  return listing(removed);
}

/** A new secret for the token named `name`, same scopes and principal; the old secret stops matching. Returns the new token (to be shown once). */
export function rotateToken(file: string, name: string): string {
  const tokens = readTokens(file);
  const rec = requireRecord(tokens, file, name);
  if (rec.principal === undefined) throw new ApplianceError('conflict', `token "${name}" is bound to no policy principal: issue it again with hsmctl token add --principal`, { name });
  const token = newSecret();
  rec.sha256 = hashToken(token);
  rec.rotatedAt = nowSeconds();
  writeTokens(file, tokens);
  return token;
}

export class TokenVerifier {
  private readonly byHash: Map<string, TokenRecord>;
  constructor(records: TokenRecord[]) {
    this.byHash = new Map(records.map((r) => [r.sha256, r]));
  }

  /** The records to check against, by hash (a subclass may reload them: token-file-verifier.ts). */
  protected current(): Map<string, TokenRecord> {
    return this.byHash;
  }

  /** The principal for an Authorization header value, or an `unauthorized` error. */
  verify(header: string | undefined): Principal {
    const m = header ? /^Bearer ([A-Za-z0-9._~+/=-]{8,256})$/.exec(header) : null;
    if (!m?.[1]) throw new ApplianceError('unauthorized', 'missing or malformed bearer token');
    const h = hashToken(m[1]);
    const rec = this.current().get(h);
    if (!rec || !timingSafeEqual(Buffer.from(rec.sha256, 'hex'), Buffer.from(h, 'hex'))) throw new ApplianceError('unauthorized', 'unknown bearer token');
    if (typeof rec.principal !== 'string' || !ID_RE.test(rec.principal)) {
      throw new ApplianceError('unauthorized', 'this token is bound to no policy principal; issue a new one with --principal', { code: 'token_unbound' });
    }
    return { name: rec.name, id: rec.principal, scopes: rec.scopes };
  }
}
