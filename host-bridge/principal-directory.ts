// The principal ids the appliance's active policy knows (firmware-policy/principals.ts), read through
// policy.get and kept for a second. The bridge refuses a token bound to an id the policy does not know
// (403 `unknown_principal`): transport access only. Whether the id may ask for what it asks (a
// requester to sign, an admin to propose) is decided, and audited, by the appliance.
import type { CborMap } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';
import type { Command } from '../protocol/messages.js';
import { parsePolicy } from '../firmware-policy/policy-document.js';
import { rolesOf, type PrincipalRole } from '../firmware-policy/principals.js';
import type { Principal } from './auth.js';

export interface DirectoryAppliance {
  call(cmd: Command, args?: CborMap): Promise<CborMap>;
}

export class PrincipalDirectory {
  private cached: { at: number; version: number; roles: (id: string) => PrincipalRole[] } | undefined;
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

  private load(): Promise<NonNullable<PrincipalDirectory['cached']>> {
    this.loading ??= (async () => {
      try {
        const active = await this.appliance.call('policy.get');
        const doc = parsePolicy(active.document ?? null);
        this.cached = { at: this.now(), version: doc.version, roles: (id) => rolesOf(doc, id) };
        return this.cached;
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }
}
