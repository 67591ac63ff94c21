// The approver console (docs/console.md): the page and its script, passkey sign-in (a one-time
// challenge, then an assertion over it checked with the firmware policy's pure WebAuthn verifier
// against the passkey approvers of the ACTIVE policy), sign-out, and the enrolment helper that turns
// a new passkey into the policy entry an admin proposes. The session is an HttpOnly, SameSite=Strict
// cookie mapped to the approver; it opens only the approver routes that opt in (console/auth.ts).
import { readFileSync } from 'node:fs';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { ApplianceError } from '../../protocol/errors.js';
import { verifyWebAuthnAssertion } from '../../firmware-policy/approvals/webauthn.js';
import { readRegistration } from '../webauthn-registration.js';
import { checkConsoleOrigin, requireConsoleOrigin, SESSION_COOKIE } from '../console/auth.js';
import { passkeyApprovers } from '../console/approvers.js';
import { CONSOLE_CSS, CONSOLE_HTML } from '../console/page-html.js';
import { SESSION_TTL_MS } from '../console/sessions.js';
import { jsonObject, jsonString } from '../json-cbor.js';
import { bodyJson } from '../request-body.js';
import type { BridgeApp, Ctx, RouteContext } from './context.js';

const CSP = "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; object-src 'none'";

const b64u = (v: unknown, field: string, max = 4096): Uint8Array => {
  const s = jsonString(v, field, max);
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new ApplianceError('bad_request', `"${field}" expected base64url`, { field });
  return new Uint8Array(Buffer.from(s, 'base64url'));
};

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;

/** The challenge the browser wrote into clientDataJSON (base64url), to find it among the live ones. */
function challengeKeyOf(clientDataJSON: Uint8Array): string {
  try {
    const o = JSON.parse(new TextDecoder().decode(clientDataJSON)) as { challenge?: unknown };
    if (typeof o.challenge === 'string' && o.challenge.length <= 128) return o.challenge;
  } catch {
    // refused below
  }
  throw new ApplianceError('bad_request', 'clientDataJSON carries no challenge', { field: 'clientDataJSON' });
}

let pageScript: string | undefined;
/** The page's script: host-bridge/console/page.ts as tsc compiled it, next to this module's output. */
function script(): string {
  pageScript ??= readFileSync(new URL('../console/page.js', import.meta.url), 'utf8').replace(/\n\/\/# sourceMappingURL=.*\n?$/, '\n');
  return pageScript;
}

const CONSOLE_ROUTES = [
  ['GET', '/console'],
  ['GET', '/console/console.js'],
  ['GET', '/console/console.css'],
  ['POST', '/console/session/challenge'],
  ['GET', '/console/session'],
  ['POST', '/console/session'],
  ['DELETE', '/console/session'],
  ['POST', '/console/registration'],
] as const;

export function consoleRoutes(app: BridgeApp, r: RouteContext): void {
  const config = r.console;
  if (!config) {
    // Not served: every console route answers 404 (the bridge was started without a console origin).
    for (const [method, path] of CONSOLE_ROUTES)
      app.on(method, path, () => {
        throw new ApplianceError('not_found', 'the approver console is not enabled on this bridge (start it with a console origin)');
      });
    return;
  }
  const origin = checkConsoleOrigin(config.origin);
  const rpId = origin.hostname;
  // Secure on https. On http://localhost a browser treats the page as a secure context but a Secure
  // cookie set over plain http is not stored by every browser, so it is left off there (loopback only).
  const secure = origin.protocol === 'https:';

  const page = (c: Ctx, body: string, type: string) => {
    c.header('Content-Security-Policy', CSP);
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Cache-Control', 'no-store');
    c.header('Content-Type', type);
    return c.body(body);
  };
  app.get('/console', (c) => page(c, CONSOLE_HTML, 'text/html; charset=utf-8'));
  app.get('/console/console.js', (c) => page(c, script(), 'text/javascript; charset=utf-8'));
  app.get('/console/console.css', (c) => page(c, CONSOLE_CSS, 'text/css; charset=utf-8'));

  app.post('/console/session/challenge', (c) => {
    requireConsoleOrigin(c, config);
    const ch = config.sessions.challenge();
    return c.json({ challenge: ch.key, rpId, expiresAt: ch.expiresAt });
  });

  app.get('/console/session', (c) => {
    const id = getCookie(c, SESSION_COOKIE);
    const approverId = id === undefined ? undefined : config.sessions.approverOf(id);
    if (approverId === undefined) throw new ApplianceError('unauthorized', 'not signed in', { code: 'session_expired' });
    return c.json({ approverId });
  });

  app.post('/console/session', async (c) => {
    requireConsoleOrigin(c, config);
    const b = jsonObject(await bodyJson(c), 'body');
    const assertion = {
      credentialId: b64u(b.credentialId, 'credentialId', 2048),
      authenticatorData: b64u(b.authenticatorData, 'authenticatorData'),
      clientDataJSON: b64u(b.clientDataJSON, 'clientDataJSON'),
      signature: b64u(b.signature, 'signature', 256),
    };
    const challenge = config.sessions.consumeChallenge(challengeKeyOf(assertion.clientDataJSON));
    if (!challenge) throw new ApplianceError('unauthorized', 'the sign-in challenge is unknown, used or expired: ask for a new one', { code: 'challenge_expired' });
    const active = await r.command(c, 'policy.get', {});
    const approver = passkeyApprovers(active.document).find((a) => Buffer.from(a.credentialId).equals(Buffer.from(assertion.credentialId)));
    if (!approver) throw new ApplianceError('unauthorized', 'this passkey is not an approver of the active policy', { code: 'credential_unknown' });
    // The counter is not kept here (the challenge is single-use); the appliance keeps it for approvals.
    const verdict = verifyWebAuthnAssertion(approver, assertion, challenge, 0);
    if (!verdict.ok) throw new ApplianceError('unauthorized', `passkey sign-in refused: ${verdict.reason}`, { code: 'assertion_refused', reason: verdict.reason });
    const session = config.sessions.open(approver.id);
    setCookie(c, SESSION_COOKIE, session.id, { httpOnly: true, sameSite: 'Strict', path: '/', secure, maxAge: Math.floor(SESSION_TTL_MS / 1000) });
    return c.json({ approverId: approver.id, expiresAt: session.expiresAt });
  });

  app.delete('/console/session', (c) => {
    requireConsoleOrigin(c, config);
    const id = getCookie(c, SESSION_COOKIE);
    if (id !== undefined) config.sessions.close(id);
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure, httpOnly: true, sameSite: 'Strict' });
    return c.body(null, 204);
  });

  // Enrolment: a new passkey's registration read into the approver entry an admin puts in a policy
  // change. It changes nothing: the passkey approves only once an admin quorum activates that policy.
  app.post('/console/registration', async (c) => {
    requireConsoleOrigin(c, config);
    const b = jsonObject(await bodyJson(c), 'body');
    const approverId = jsonString(b.approverId, 'approverId', 128);
    if (!/^[A-Za-z0-9._@:-]{1,128}$/.test(approverId)) throw new ApplianceError('bad_request', '"approverId" must be 1-128 of [A-Za-z0-9._@:-]', { field: 'approverId' });
    const response = { attestationObject: b64u(b.attestationObject, 'attestationObject', 8192), clientDataJSON: b64u(b.clientDataJSON, 'clientDataJSON') };
    const challenge = config.sessions.consumeChallenge(challengeKeyOf(response.clientDataJSON));
    if (!challenge) throw new ApplianceError('unauthorized', 'the registration challenge is unknown, used or expired: ask for a new one', { code: 'challenge_expired' });
    const cred = readRegistration(response, { rpId, origins: [config.origin], challenge, requireUserVerification: true });
    return c.json({ principal: { id: approverId, alg: 'WebAuthn', publicKey: hex(cred.publicKey), credentialId: hex(cred.credentialId), rpId: cred.rpId, origins: [config.origin] } });
  });
}
