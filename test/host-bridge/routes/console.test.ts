// The approver console's session endpoints over app.request(): a passkey assertion (built here with
// @noble/curves, as an authenticator would) over a one-time challenge signs an approver of the
// active policy in, with an HttpOnly, SameSite=Strict cookie; an expired, reused or foreign
// challenge, an unknown credential, a wrong signature and a cross-origin POST are refused; the
// cookie opens the approver routes (GET /v1/requests) and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeCanonical, type CborMap } from '../../../protocol/cbor.js';
import { policyToCbor } from '../../../firmware-policy/policy-document.js';
import { createApp } from '../../../host-bridge/app.js';
import { TokenVerifier } from '../../../host-bridge/auth.js';
import { PrincipalDirectory } from '../../../host-bridge/principal-directory.js';
import { policyFromJson } from '../../../host-bridge/policy-json.js';
import { ConsoleSessions, CHALLENGE_TTL_MS, SESSION_TTL_MS } from '../../../host-bridge/console/sessions.js';
import { generateApproverKey, publicPart } from '../../../cli/approver-key.js';
import { problemOf } from '../../helpers/problem.js';

const ORIGIN = 'http://localhost:8443';
const enc = new TextEncoder();
const SK = new Uint8Array(32).fill(9);
const PUB = p256.getPublicKey(SK, false);
const COSE = encodeCanonical(
  new Map<number, number | Uint8Array>([
    [1, 2],
    [3, -7],
    [-1, 1],
    [-2, PUB.slice(1, 33)],
    [-3, PUB.slice(33, 65)],
  ]),
);
const CRED_ID = new Uint8Array(16).map((_, i) => 0xa0 + i);

// The policy as the directory reads it (carol an approver) and as policy.get answers it, with carol's
// passkey entry in the form the appliance stores (alg WebAuthn, COSE key, credential id, rpId, origins).
const admin = generateApproverKey('admin-1', 'ES256');
const carolKey = generateApproverKey('carol', 'ES256');
const doc = policyToCbor(policyFromJson({ adminQuorum: 1, admins: [publicPart(admin)], approvers: [publicPart(carolKey)], requesters: [{ id: 'orch-1' }], auditors: [], groups: {} }, 'dev-1'));
const passkeyDoc: CborMap = { ...doc, approvers: [{ id: 'carol', alg: 'WebAuthn', publicKey: COSE, credentialId: CRED_ID, rpId: 'localhost', origins: [ORIGIN] }] };

function setup() {
  let now = 1_000_000;
  const sent: { cmd: string; args: CborMap }[] = [];
  const app = createApp({
    appliance: {
      call: async (cmd, args = {}): Promise<CborMap> => {
        sent.push({ cmd, args });
        if (cmd === 'policy.get') return { version: 1, hash: new Uint8Array(32), activatedAt: 0, document: passkeyDoc };
        if (cmd === 'request.list') return { requests: [], next: null };
        return {};
      },
    },
    tokens: new TokenVerifier([]),
    principals: new PrincipalDirectory({ call: async () => ({ version: 1, hash: new Uint8Array(32), activatedAt: 0, document: doc }) }),
    console: { origin: ORIGIN, sessions: new ConsoleSessions(() => now) },
  });
  const request = (method: string, path: string, opts: { body?: unknown; origin?: string | null; cookie?: string } = {}) =>
    app.request(path, {
      method,
      headers: {
        ...(opts.origin === null ? {} : { Origin: opts.origin ?? ORIGIN }),
        ...(opts.cookie ? { Cookie: opts.cookie } : {}),
        ...(opts.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
    });
  return { app, sent, request, advance: (ms: number) => (now += ms) };
}

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');

/** A browser's assertion over `challenge` (base64url) with the passkey `sk`. */
function assertion(challenge: string, o: { sk?: Uint8Array; credentialId?: Uint8Array; origin?: string; flags?: number } = {}) {
  const clientDataJSON = enc.encode(JSON.stringify({ type: 'webauthn.get', challenge, origin: o.origin ?? ORIGIN, crossOrigin: false }));
  const ad = new Uint8Array(37);
  ad.set(sha256(enc.encode('localhost')), 0);
  ad[32] = o.flags ?? 0x05;
  new DataView(ad.buffer).setUint32(33, 1);
  const sig = p256.sign(new Uint8Array([...ad, ...sha256(clientDataJSON)]), o.sk ?? SK, { prehash: true, format: 'der' });
  return { credentialId: b64u(o.credentialId ?? CRED_ID), authenticatorData: b64u(ad), clientDataJSON: b64u(clientDataJSON), signature: b64u(sig) };
}

async function challenge(request: ReturnType<typeof setup>['request']): Promise<string> {
  const res = await request('POST', '/console/session/challenge');
  assert.equal(res.status, 200);
  const body = (await res.json()) as { challenge: string; rpId: string };
  assert.equal(body.rpId, 'localhost');
  assert.equal(Buffer.from(body.challenge, 'base64url').length, 32);
  return body.challenge;
}

const codeOf = async (res: Response) => problemOf(await res.json()) as { code: string; details?: { code?: string; reason?: string } };

test('a passkey of the active policy signs in: HttpOnly, SameSite=Strict cookie for its approver, not Secure on http://localhost', async () => {
  const { request } = setup();
  const res = await request('POST', '/console/session', { body: assertion(await challenge(request)) });
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { approverId: string }).approverId, 'carol');
  const cookie = res.headers.get('Set-Cookie') ?? '';
  assert.match(cookie, /^hsm_console=[A-Za-z0-9_-]{43};/);
  assert.match(cookie, /; HttpOnly/);
  assert.match(cookie, /; SameSite=Strict/);
  assert.match(cookie, /; Path=\//);
  assert.match(cookie, new RegExp(`; Max-Age=${SESSION_TTL_MS / 1000}`));
  assert.doesNotMatch(cookie, /Secure/);
  const session = cookie.split(';')[0]!;
  const me = await request('GET', '/console/session', { cookie: session, origin: null });
  assert.deepEqual(await me.json(), { approverId: 'carol' });
});

test('on an https origin the cookie is Secure', async () => {
  let now = 0;
  const app = createApp({
    appliance: {
      call: async () => ({
        version: 1,
        hash: new Uint8Array(32),
        activatedAt: 0,
        document: { ...passkeyDoc, approvers: [{ ...(passkeyDoc.approvers as CborMap[])[0]!, rpId: 'approve.example.com', origins: ['https://approve.example.com'] }] },
      }),
    },
    tokens: new TokenVerifier([]),
    console: { origin: 'https://approve.example.com', sessions: new ConsoleSessions(() => now++) },
  });
  const post = (path: string, body?: unknown) =>
    app.request(path, { method: 'POST', headers: { Origin: 'https://approve.example.com', 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const ch = ((await (await post('/console/session/challenge')).json()) as { challenge: string; rpId: string }).challenge;
  const a = assertion(ch, { origin: 'https://approve.example.com' });
  // rpId is the origin's host: build the authenticator data for it.
  const ad = Buffer.from(a.authenticatorData, 'base64url');
  ad.set(sha256(enc.encode('approve.example.com')), 0);
  const cd = Buffer.from(a.clientDataJSON, 'base64url');
  const sig = p256.sign(new Uint8Array([...ad, ...sha256(cd)]), SK, { prehash: true, format: 'der' });
  const res = await post('/console/session', { ...a, authenticatorData: b64u(ad), signature: b64u(sig) });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('Set-Cookie') ?? '', /; Secure/);
});

test('a challenge is used once and lives two minutes', async () => {
  const { request, advance } = setup();
  const ch = await challenge(request);
  assert.equal((await request('POST', '/console/session', { body: assertion(ch) })).status, 200);
  const again = await request('POST', '/console/session', { body: assertion(ch) });
  assert.equal(again.status, 401);
  assert.equal((await codeOf(again)).details?.code, 'challenge_expired');

  const late = await challenge(request);
  advance(CHALLENGE_TTL_MS);
  const res = await request('POST', '/console/session', { body: assertion(late) });
  assert.equal(res.status, 401);
  assert.equal((await codeOf(res)).details?.code, 'challenge_expired');
  // A challenge the bridge never gave.
  const made = await request('POST', '/console/session', { body: assertion(b64u(new Uint8Array(32).fill(1))) });
  assert.equal((await codeOf(made)).details?.code, 'challenge_expired');
});

test('a credential the policy does not hold, a wrong key, another origin or no user verification is refused, and no cookie is set', async () => {
  const { request } = setup();
  const cases: [Parameters<typeof assertion>[1], string, string | undefined][] = [
    [{ credentialId: new Uint8Array(16) }, 'credential_unknown', undefined],
    [{ sk: new Uint8Array(32).fill(3) }, 'assertion_refused', 'signature_invalid'],
    [{ origin: 'http://localhost:9999' }, 'assertion_refused', 'origin_not_allowed'],
    [{ flags: 0x01 }, 'assertion_refused', 'user_not_verified'],
  ];
  for (const [o, code, reason] of cases) {
    const res = await request('POST', '/console/session', { body: assertion(await challenge(request), o) });
    assert.equal(res.status, 401, code);
    assert.equal(res.headers.get('Set-Cookie'), null);
    const e = await codeOf(res);
    assert.equal(e.details?.code, code);
    assert.equal(e.details?.reason, reason);
  }
});

test('POSTs need the console Origin (CSRF defence besides SameSite)', async () => {
  const { request, sent } = setup();
  for (const origin of ['https://evil.example', null]) {
    const ch = await request('POST', '/console/session/challenge', { origin });
    assert.equal(ch.status, 403);
    assert.equal((await codeOf(ch)).details?.code, 'origin_mismatch');
  }
  const ok = await request('POST', '/console/session', { body: assertion(await challenge(request)) });
  const cookie = (ok.headers.get('Set-Cookie') ?? '').split(';')[0]!;
  const n = sent.length;
  const approval = { approverId: 'carol', expiresAt: 1, signature: '0x00' };
  const cross = await request('POST', '/v1/requests/r-1/approvals', { cookie, origin: 'https://evil.example', body: approval });
  assert.equal(cross.status, 403);
  assert.equal((await codeOf(cross)).details?.code, 'origin_mismatch');
  const noOrigin = await request('POST', '/v1/requests/r-1/approvals', { cookie, origin: null, body: approval });
  assert.equal(noOrigin.status, 403);
  assert.equal(sent.length, n, 'nothing reached the appliance');
});

test('the cookie opens the approver routes as the approver, expires, and ends at sign-out', async () => {
  const { request, sent, advance } = setup();
  const ok = await request('POST', '/console/session', { body: assertion(await challenge(request)) });
  const cookie = (ok.headers.get('Set-Cookie') ?? '').split(';')[0]!;
  const list = await request('GET', '/v1/requests?status=pending', { cookie, origin: null });
  assert.equal(list.status, 200);
  assert.deepEqual(sent.at(-1), { cmd: 'request.list', args: { status: 'pending', viewer: 'carol', role: 'approver' } });
  // Not a way into routes that did not opt in.
  assert.equal((await request('GET', '/v1/keys', { cookie, origin: null })).status, 401);
  assert.equal((await request('GET', '/v1/requests', { cookie: 'hsm_console=forged', origin: null })).status, 401);

  const out = await request('DELETE', '/console/session', { cookie });
  assert.equal(out.status, 204);
  assert.match(out.headers.get('Set-Cookie') ?? '', /hsm_console=;.*Max-Age=0/);
  assert.equal((await request('GET', '/v1/requests', { cookie, origin: null })).status, 401);

  const again = await request('POST', '/console/session', { body: assertion(await challenge(request)) });
  const second = (again.headers.get('Set-Cookie') ?? '').split(';')[0]!;
  advance(SESSION_TTL_MS);
  const expired = await request('GET', '/v1/requests', { cookie: second, origin: null });
  assert.equal(expired.status, 401);
  assert.equal((await codeOf(expired)).details?.code, 'session_expired');
});

test('the page is served with a strict CSP; without a console origin the console routes are 404', async () => {
  const { request } = setup();
  const page = await request('GET', '/console', { origin: null });
  assert.equal(page.status, 200);
  assert.match(page.headers.get('Content-Security-Policy') ?? '', /^default-src 'self';/);
  assert.match(await page.text(), /<script type="module" src="\/console\/console.js"><\/script>/);
  const script = await request('GET', '/console/console.js', { origin: null });
  assert.equal(script.status, 200);
  assert.match(await script.text(), /navigator\.credentials\.get/);
  const bare = createApp({ appliance: { call: async () => ({}) }, tokens: new TokenVerifier([]) });
  assert.equal((await bare.request('/console')).status, 404);
});
