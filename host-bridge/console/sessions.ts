// The approver console's sign-in state, all in memory: one-time sign-in challenges (random, kept
// here, two minutes to live, consumed by the first attempt) and session ids (random, 256 bits, an
// hour to live) each mapped to the policy approver whose passkey signed in. This is the only thing
// the bridge holds for the console: no key, no secret that signs anything; losing it (a restart)
// signs everyone out. The clock is a parameter so tests control it.
import { randomBytes } from 'node:crypto';

export const CHALLENGE_TTL_MS = 120_000;
export const SESSION_TTL_MS = 3_600_000;
/** Bounds what unauthenticated callers can make the bridge keep. */
const MAX_CHALLENGES = 1000;

export class ConsoleSessions {
  private readonly challenges = new Map<string, { bytes: Uint8Array; expiresAt: number }>();
  private readonly sessions = new Map<string, { approverId: string; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A fresh challenge (32 random bytes), keyed by its base64url form, which the browser writes into clientDataJSON. */
  challenge(): { bytes: Uint8Array; key: string; expiresAt: number } {
    this.sweep();
    if (this.challenges.size >= MAX_CHALLENGES) {
      const oldest = this.challenges.keys().next().value;
      if (oldest !== undefined) this.challenges.delete(oldest);
    }
    const bytes = new Uint8Array(randomBytes(32));
    const key = Buffer.from(bytes).toString('base64url');
    const expiresAt = this.now() + CHALLENGE_TTL_MS;
    this.challenges.set(key, { bytes, expiresAt });
    return { bytes, key, expiresAt };
  }

  /** Takes the challenge out (one attempt per challenge): its bytes while live, else undefined. */
  consumeChallenge(key: string): Uint8Array | undefined {
    const c = this.challenges.get(key);
    this.challenges.delete(key);
    return c && c.expiresAt > this.now() ? c.bytes : undefined;
  }

  /** A new session for `approverId`: its id, for the cookie. */
  open(approverId: string): { id: string; expiresAt: number } {
    const id = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + SESSION_TTL_MS;
    this.sessions.set(id, { approverId, expiresAt });
    return { id, expiresAt };
  }

  /** The approver a live session id stands for. */
  approverOf(id: string): string | undefined {
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (s.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return s.approverId;
  }

  close(id: string): void {
    this.sessions.delete(id);
  }

  private sweep(): void {
    const t = this.now();
    for (const [k, c] of this.challenges) if (c.expiresAt <= t) this.challenges.delete(k);
    for (const [k, s] of this.sessions) if (s.expiresAt <= t) this.sessions.delete(k);
  }
}
