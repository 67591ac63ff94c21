// The principal ids the appliance's active policy knows (firmware-policy/principals.ts), read through
// policy.get and kept for a second (parsed again only when the policy's hash changed). The bridge refuses a token bound to an id the policy does not know
// (403 `unknown_principal`), and a token used under a scope whose policy role its principal does not
// hold (403 `role_not_held`: orchestrator needs requesters, approver approvers, admin admins, auditor
// auditors), so a token's scopes never outlive the policy's roles. Transport access only: whether the
// id may ask for what it asks (a requester to sign, an admin to propose) is decided, and audited, by
// the appliance.
import type { CborMap } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';
import type { Command } from '../protocol/messages.js';
import { parsePolicy } from '../firmware-policy/policy-document.js';
import { rolesOf, type PrincipalRole } from '../firmware-policy/principals.js';
import type { Principal, Scope } from './auth.js';

/** The policy role each token scope needs its principal to hold. */
export const SCOPE_ROLE: Readonly<Record<Scope, PrincipalRole>> = { orchestrator: 'requester', approver: 'approver', admin: 'admin', auditor: 'auditor' };

export interface DirectoryAppliance {
  call(cmd: Command, args?: CborMap): Promise<CborMap>;
}

export class PrincipalDirectory {
  private cached: { at: number; version: number; hash: string; roles: (id: string) => PrincipalRole[] } | undefined;
  private loading: Promise<NonNullable<PrincipalDirectory['cached']>> | undefined;

  constructor(
    private readonly appliance: DirectoryAppliance,
    private readonly ttlMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The roles the active policy gives `id` (read at most once per ttlMs; concurrent reads share one call). */
  async rolesOf(id: string): Promise<PrincipalRole[]> {
    const c = this.cached && this.now() - this.cached.at < this.ttlMs ? this.cached : await this.load();
    return c.roles(id);
  }

  /** Refuses (403 forbidden, code unknown_principal) a token bound to an id the active policy does not know. */
  async assertKnown(p: Principal): Promise<void> {
    if ((await this.rolesOf(p.id)).length > 0) return;
    throw new ApplianceError('forbidden', `this token's principal "${p.id}" is not in the active policy`, { code: 'unknown_principal', principal: p.id });
  }

  /**
   * The scopes among `accepted` that `p`'s token holds and whose role the active policy gives its
   * principal (in the token's order). Refuses 403 forbidden: `unknown_principal` when the policy does
   * not know the id; otherwise (the token lacks every accepted scope, or its principal lacks their
   * roles) with the scopes asked for.
   */
  async allowedScopes(p: Principal, accepted: readonly Scope[]): Promise<Scope[]> {
    await this.assertKnown(p);
    const roles = await this.rolesOf(p.id);
    const held = p.scopes.filter((s) => accepted.includes(s));
    if (held.length === 0) throw new ApplianceError('forbidden', `this token lacks the ${accepted.map((s) => `"${s}"`).join(' or ')} scope`, { code: 'scope_missing', scopes: [...accepted] });
    const allowed = held.filter((s) => roles.includes(SCOPE_ROLE[s]));
    if (allowed.length > 0) return allowed;
    throw new ApplianceError(
      'forbidden',
      `principal "${p.id}" does not hold the ${held.map((s) => SCOPE_ROLE[s]).join(' or ')} role the ${held.map((s) => `"${s}"`).join(' or ')} scope needs in the active policy`,
      {
        code: 'role_not_held',
        principal: p.id,
        scopes: held,
        roles: held.map((s) => SCOPE_ROLE[s]),
      },
    );
  }

  private load(): Promise<NonNullable<PrincipalDirectory['cached']>> {
    this.loading ??= (async () => {
      try {
        const active = await this.appliance.call('policy.get');
        // The same canonical hash is the same document: keep what was read of it (parsing a policy with
        // its approvers' keys costs milliseconds, on the path of the request that finds the entry old).
        const hash = active.hash instanceof Uint8Array ? Buffer.from(active.hash).toString('hex') : '';
        if (hash !== '' && this.cached?.hash === hash) {
          this.cached = { ...this.cached, at: this.now() };
          return this.cached;
        }
        const doc = parsePolicy(active.document ?? null);
        this.cached = { at: this.now(), version: doc.version, hash, roles: (id) => rolesOf(doc, id) };
        return this.cached;
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }
}
