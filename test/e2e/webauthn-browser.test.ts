// Passkey approvals from a real browser: Debian's Chromium with the DevTools virtual authenticator
// registers a credential and signs assertions over a challenge (SHA-256 of an approval statement)
// on a page served from 127.0.0.1 as http://localhost:<port> (a secure context). The host-side
// enrolment reader takes the registration apart, and the pure verifier of the firmware policy
// accepts the assertion, then refuses it for a wrong origin allowlist, a wrong challenge, a replay
// and a missing user verification. Nothing in between is simulated but the authenticator itself.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sha256 } from '@noble/hashes/sha2.js';
import { ApplianceError } from '../../protocol/errors.js';
import { verifyWebAuthnAssertion, type WebAuthnAssertion, type WebAuthnCredential } from '../../firmware-policy/approvals/webauthn.js';
import { readRegistration, type RegisteredCredential } from '../../host-bridge/webauthn-registration.js';
import { chromiumPath, closeBrowser, launchBrowser, openAuthenticatorPage, type AuthenticatorPage, type BrowserHandle } from '../helpers/browser.js';

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>approver console (test page)</title>
<script>
const b64u = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
const bytes = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
window.register = async (challenge, userId, userVerification) => {
  const cred = await navigator.credentials.create({ publicKey: {
    rp: { id: location.hostname, name: 'Approvals' },
    user: { id: bytes(userId), name: 'approver-1', displayName: 'Approver 1' },
    challenge: bytes(challenge),
    pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
    authenticatorSelection: { residentKey: 'required', userVerification },
    attestation: 'none',
  } });
  return { id: b64u(cred.rawId), attestationObject: b64u(cred.response.attestationObject), clientDataJSON: b64u(cred.response.clientDataJSON) };
};
window.approve = async (challenge, credentialId, userVerification) => {
  const a = await navigator.credentials.get({ publicKey: {
    challenge: bytes(challenge),
    rpId: location.hostname,
    allowCredentials: [{ type: 'public-key', id: bytes(credentialId) }],
    userVerification,
  } });
  return { id: b64u(a.rawId), authenticatorData: b64u(a.response.authenticatorData), clientDataJSON: b64u(a.response.clientDataJSON), signature: b64u(a.response.signature) };
};
</script>`;

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const unb64u = (s: string) => new Uint8Array(Buffer.from(s, 'base64url'));
const enc = new TextEncoder();
const statementHash = (text: string) => sha256(enc.encode(text));
type UserVerification = 'required' | 'discouraged';

let server: Server;
let origin: string;
let browser: BrowserHandle | undefined;
let started = 0;

/** Registers a discoverable credential (a passkey) on the page's authenticator. */
async function register(tab: AuthenticatorPage, uv: UserVerification, challenge: Uint8Array) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the page's own function, typed by its result's use
  const r = await tab.page.evaluate(([c, u, v]) => (globalThis as any).register(c, u, v), [b64u(challenge), b64u(enc.encode('approver-1')), uv] as const);
  return { id: unb64u(r.id), attestationObject: unb64u(r.attestationObject), clientDataJSON: unb64u(r.clientDataJSON) };
}

async function approve(tab: AuthenticatorPage, credentialId: Uint8Array, challenge: Uint8Array, uv: UserVerification): Promise<WebAuthnAssertion> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the page's own function, typed by its result's use
  const r = await tab.page.evaluate(([c, id, v]) => (globalThis as any).approve(c, id, v), [b64u(challenge), b64u(credentialId), uv] as const);
  return { credentialId: unb64u(r.id), authenticatorData: unb64u(r.authenticatorData), clientDataJSON: unb64u(r.clientDataJSON), signature: unb64u(r.signature) };
}

const asPolicyCredential = (c: RegisteredCredential): WebAuthnCredential => ({ credentialId: c.credentialId, publicKey: c.publicKey, rpId: c.rpId, origins: [origin] });

describe('WebAuthn passkey approvals in Chromium', { skip: chromiumPath() === undefined ? 'Chromium is not installed (make system-deps installs it with apt-get)' : false }, () => {
  let tab: AuthenticatorPage;
  let enrolled: RegisteredCredential;

  before(async () => {
    started = performance.now();
    server = createServer((req, res) => {
      res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(req.url === '/' ? PAGE : '');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://localhost:${(server.address() as AddressInfo).port}`;
    browser = await launchBrowser();
    tab = await openAuthenticatorPage(browser, `${origin}/`, { hasUserVerification: true, isUserVerified: true });
    console.log(`# webauthn-browser: Chromium up and page open after ${Math.round(performance.now() - started)} ms`);
  });

  after(async () => {
    await closeBrowser(browser);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    console.log(`# webauthn-browser: ${Math.round(performance.now() - started)} ms with the browser launch`);
  });

  test('registration: the enrolment reader extracts the ES256 COSE key and the credential id', async () => {
    const challenge = statementHash('enrol approver-1');
    const reg = await register(tab, 'required', challenge);
    enrolled = readRegistration(reg, { rpId: 'localhost', origins: [origin], challenge, requireUserVerification: true });
    assert.deepEqual(enrolled.credentialId, reg.id);
    assert.equal(enrolled.publicKey.length, 77, 'a five-entry EC2 map with 32-byte coordinates');
    assert.throws(
      () => readRegistration(reg, { rpId: 'localhost', origins: [origin], challenge: statementHash('another'), requireUserVerification: true }),
      (e: unknown) => e instanceof ApplianceError && e.code === 'bad_request',
    );
  });

  test('an assertion over the statement hash verifies; the same one again is a replay', async () => {
    const challenge = statementHash('approve request 1: send 1 ETH to 0xabc');
    const a = await approve(tab, enrolled.credentialId, challenge, 'required');
    const cred = asPolicyCredential(enrolled);
    const first = verifyWebAuthnAssertion(cred, a, challenge, enrolled.signCount);
    assert.equal(first.ok, true, JSON.stringify(first));
    assert.ok(first.ok && first.newCounter > enrolled.signCount, 'the virtual authenticator counts signatures');
    const stored = first.ok ? first.newCounter : 0;
    assert.deepEqual(verifyWebAuthnAssertion(cred, a, challenge, stored), { ok: false, reason: 'counter_replayed' });
    // A fresh assertion from the same authenticator moves the counter on and is accepted.
    const b = await approve(tab, enrolled.credentialId, challenge, 'required');
    const second = verifyWebAuthnAssertion(cred, b, challenge, stored);
    assert.ok(second.ok && second.newCounter > stored, JSON.stringify(second));
  });

  test('the browser-written origin must be in the allowlist exactly', async () => {
    const challenge = statementHash('approve request 2');
    const a = await approve(tab, enrolled.credentialId, challenge, 'required');
    const port = new URL(origin).port;
    for (const origins of [[`http://127.0.0.1:${port}`], [`https://localhost:${port}`], [`${origin}/`], []]) {
      const r = verifyWebAuthnAssertion({ ...asPolicyCredential(enrolled), origins }, a, challenge, enrolled.signCount);
      assert.deepEqual(r, { ok: false, reason: 'origin_not_allowed' }, origins.join());
    }
  });

  test('an assertion over another statement is refused', async () => {
    const a = await approve(tab, enrolled.credentialId, statementHash('approve request 3: 1 ETH'), 'required');
    const r = verifyWebAuthnAssertion(asPolicyCredential(enrolled), a, statementHash('approve request 3: 100 ETH'), enrolled.signCount);
    assert.deepEqual(r, { ok: false, reason: 'challenge_mismatch' });
  });

  test('an authenticator that does not verify the user is refused (UV flag clear)', async () => {
    assert.ok(browser);
    const noUv = await openAuthenticatorPage(browser, `${origin}/`, { hasUserVerification: false, isUserVerified: false });
    const enrolChallenge = statementHash('enrol approver-2');
    const reg = await register(noUv, 'discouraged', enrolChallenge);
    const expect = { rpId: 'localhost', origins: [origin], challenge: enrolChallenge };
    assert.throws(() => readRegistration(reg, { ...expect, requireUserVerification: true }), /user not verified/);
    const cred = readRegistration(reg, { ...expect, requireUserVerification: false });
    const challenge = statementHash('approve request 4');
    const a = await approve(noUv, cred.credentialId, challenge, 'discouraged');
    assert.equal(a.authenticatorData[32]! & 0x05, 0x01, 'UP set, UV clear');
    assert.deepEqual(verifyWebAuthnAssertion(asPolicyCredential(cred), a, challenge, cred.signCount), { ok: false, reason: 'user_not_verified' });
    await noUv.page.close();
  });
});
