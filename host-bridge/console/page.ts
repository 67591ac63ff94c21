// The approver console's script, run in the approver's browser (served as /console/console.js by
// routes/console.ts; compiled by tsc as it is, no bundler, no dependency). It signs in with a
// passkey, lists the pending requests as the appliance decoded them (GET /v1/requests), refreshes
// on the event stream (EventSource: the HttpOnly session cookie goes with it), and approves a
// request by signing SHA-256 of its canonical approval statement with the passkey. It also runs the
// passkey registration whose result an admin puts in a policy change. Values are shown as text only.
/// <reference lib="dom" />

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const enc = new TextEncoder();

function b64u(buf: ArrayBuffer | Uint8Array): string {
  const bytes = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
function unb64u(s: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
}
const hex = (buf: ArrayBuffer): string => '0x' + Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
function unhex(s: string): Uint8Array {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(s)) throw new Error('expected 0x hex');
  const out = new Uint8Array((s.length - 2) / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 + 2 * i, 4 + 2 * i), 16);
  return out;
}

// Deterministic CBOR (RFC 8949 §4.2.1) of what an approval statement holds: unsigned integers, text,
// bytes and text-keyed maps, keys sorted by their encoded bytes. The same bytes the appliance hashes.
type Cbor = number | string | Uint8Array | { [k: string]: Cbor };
function head(major: number, n: number): number[] {
  const m = major << 5;
  if (n < 24) return [m | n];
  if (n < 0x100) return [m | 24, n];
  if (n < 0x10000) return [m | 25, n >> 8, n & 255];
  if (n < 0x100000000) return [m | 26, (n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255];
  return [m | 27, ...u32(Math.floor(n / 0x100000000)), ...u32(n >>> 0)];
}
const u32 = (n: number) => [(n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255];
function cbor(v: Cbor): number[] {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error('only unsigned integers');
    return head(0, v);
  }
  if (typeof v === 'string') {
    const b = enc.encode(v);
    return [...head(3, b.length), ...b];
  }
  if (v instanceof Uint8Array) return [...head(2, v.length), ...v];
  const entries = Object.keys(v).map((k) => [cbor(k), cbor(v[k]!)] as const);
  entries.sort(([a], [b]) => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  });
  return [...head(5, entries.length), ...entries.flatMap(([k, x]) => [...k, ...x])];
}

/** Whether the status line shows a failed refresh of the list (the next one that succeeds clears it). */
let listFailed = false;
const status = (text: string, error = false) => {
  listFailed = false;
  const s = $('status');
  s.textContent = text;
  s.className = error ? 'error' : '';
};

async function api(method: string, path: string, body?: unknown): Promise<Obj> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status === 204) return {};
  const json = (await res.json()) as Obj;
  if (!res.ok) {
    // The bridge's problem (RFC 9457): the most specific code it gives, details.code (credential_unknown, origin_mismatch...), over its code.
    const details = json.details as Obj | undefined;
    throw new Error(`${String(details?.code ?? json.code ?? res.status)}: ${String(json.detail ?? res.statusText)}`);
  }
  return json;
}

let approverId: string | undefined;
let events: EventSource | undefined;

async function signIn(): Promise<void> {
  const ch = await api('POST', '/console/session/challenge');
  const cred = (await navigator.credentials.get({
    publicKey: { challenge: unb64u(String(ch.challenge)), rpId: String(ch.rpId), userVerification: 'required', allowCredentials: [] },
  })) as PublicKeyCredential | null;
  if (!cred) throw new Error('no passkey chosen');
  const r = cred.response as AuthenticatorAssertionResponse;
  const s = await api('POST', '/console/session', {
    credentialId: b64u(cred.rawId),
    authenticatorData: b64u(r.authenticatorData),
    clientDataJSON: b64u(r.clientDataJSON),
    signature: b64u(r.signature),
  });
  status(''); // an earlier refusal no longer applies
  signedIn(String(s.approverId));
}

function signedIn(id: string | undefined): void {
  approverId = id;
  $('who').textContent = id ? `Signed in as ${id}.` : 'Not signed in.';
  $('sign-in').hidden = id !== undefined;
  $('sign-out').hidden = id === undefined;
  $('pending-section').hidden = id === undefined;
  events?.close();
  events = undefined;
  if (id === undefined) return;
  void refresh();
  listen();
}

/** How long the page waits before opening the event stream again after the bridge refused it. */
const RECONNECT_MS = 2000;

/**
 * Follows the event stream, refreshing the list on each decision and on each (re)connection (so
 * nothing missed while disconnected stays unseen). EventSource reconnects a dropped stream by itself
 * but gives up for good on an HTTP error answer, such as a refusal in the second after a policy
 * change while the bridge's view of the policy catches up: the page then opens a new one shortly.
 */
function listen(): void {
  const source = new EventSource('/v1/events');
  events = source;
  source.addEventListener('open', () => void refresh());
  for (const type of ['approval.needed', 'sign.denied', 'sign.signed']) source.addEventListener(type, () => void refresh());
  source.addEventListener('error', () => {
    if (source.readyState !== EventSource.CLOSED || events !== source) return;
    events = undefined;
    setTimeout(() => {
      if (approverId !== undefined && events === undefined) listen();
    }, RECONNECT_MS);
  });
}

function row(dl: HTMLElement, label: string, value: Json | undefined): void {
  if (value === undefined || value === null) return;
  const dt = document.createElement('dt');
  dt.textContent = label;
  const dd = document.createElement('dd');
  dd.textContent = typeof value === 'object' ? JSON.stringify(value) : String(value);
  dl.append(dt, dd);
}

const when = (unix: Json | undefined) => (typeof unix === 'number' ? new Date(unix * 1000).toISOString().replace('.000Z', 'Z') : undefined);

/** "2 (31337:native; 2000000000000000000 base units)": token units when the appliance knows the decimals. */
function amountText(amount: Json, decimals: number | null, asset: string): string {
  const base = String(amount);
  if (decimals === null || !/^[0-9]+$/.test(base)) return `${base} (${asset}, base units)`;
  const padded = base.padStart(decimals + 1, '0');
  const whole = padded.slice(0, padded.length - decimals);
  const frac = padded.slice(padded.length - decimals).replace(/0+$/, '');
  return `${whole}${frac ? `.${frac}` : ''} (${asset}; ${base} base units)`;
}

function requestItem(q: Obj): HTMLElement {
  const li = document.createElement('li');
  li.className = 'request';
  li.dataset.requestId = String(q.requestId);
  const h = document.createElement('h3');
  h.textContent = `Request ${String(q.requestId)}`;
  const dl = document.createElement('dl');
  const d = (q.decoded ?? {}) as Obj;
  const intent = (d.intent ?? {}) as Obj;
  const labels = Array.isArray(d.recipientLabels) ? (d.recipientLabels as Obj[]).map((l) => `${String(l.label)} (${String(l.group)})`).join(', ') : '';
  row(dl, 'Recipient', intent.to !== undefined ? `${String(intent.to)}${labels ? ` — ${labels}` : ' — on no whitelist'}` : undefined);
  row(dl, 'Amount', intent.amount !== undefined ? amountText(intent.amount, typeof d.decimals === 'number' ? d.decimals : null, String(intent.asset)) : undefined);
  row(dl, 'Chain', intent.chainId);
  row(dl, 'Key', `${String(q.keyId)} (group ${String(d.keyGroup ?? '?')})`);
  row(dl, 'Fees', intent.maxFee !== undefined ? `max fee ${String(intent.maxFee)} wei; gas limit ${String(intent.gasLimit)}; max fee per gas ${String(intent.maxFeePerGas)}` : undefined);
  row(dl, 'Nonce', intent.nonce);
  row(dl, 'Typed data', d.typed);
  row(dl, 'Asks for approval', Array.isArray(d.reasons) ? (d.reasons as Obj[]).map((r) => `${String(r.rule)}: ${String(r.explanation ?? r.message)}`).join('; ') : undefined);
  row(dl, 'Requested by', q.requester);
  row(dl, 'Requested at', when(q.createdAt));
  const approvals = Array.isArray(q.approvals) ? (q.approvals as Obj[]) : [];
  row(dl, 'Approvals', `${approvals.length} of ${String(q.required)}: ${approvals.map((a) => `${String(a.approverId)} until ${String(when(a.expiresAt))}`).join(', ') || 'none yet'}`);
  row(dl, 'Intent digest', q.intentDigest);
  row(dl, 'Audit entry', d.auditSeq);
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'approve';
  button.textContent = 'Approve with my passkey';
  button.disabled = approvals.some((a) => a.approverId === approverId);
  button.addEventListener('click', () => void approve(q).catch((e: unknown) => status(String(e), true)));
  li.append(h, dl, button);
  return li;
}

async function refresh(): Promise<void> {
  try {
    const list = await api('GET', '/v1/requests?status=pending&limit=50');
    const items = (list.requests as Obj[]).map(requestItem);
    $('requests').replaceChildren(...items);
    $('empty').hidden = items.length > 0;
    if (listFailed) status('');
  } catch (e) {
    status(String(e), true);
    listFailed = true;
  }
}

/** Signs SHA-256 of the canonical approval statement (deviceId, intentDigest, approverId, expiresAt) and sends it. */
async function approve(q: Obj): Promise<void> {
  if (approverId === undefined) throw new Error('sign in first');
  const st = q.statement as Obj;
  const expiresAt = Math.floor(Date.now() / 1000) + 3600;
  const statement = { type: 'approval', deviceId: String(st.deviceId), intentDigest: unhex(String(st.intentDigest)), approverId, expiresAt };
  const challenge = await crypto.subtle.digest('SHA-256', new Uint8Array(cbor(statement)));
  const cred = (await navigator.credentials.get({ publicKey: { challenge, rpId: location.hostname, userVerification: 'required', allowCredentials: [] } })) as PublicKeyCredential | null;
  if (!cred) throw new Error('no passkey chosen');
  const r = cred.response as AuthenticatorAssertionResponse;
  const res = await api('POST', `/v1/requests/${encodeURIComponent(String(q.requestId))}/approvals`, {
    approverId,
    expiresAt,
    webauthn: { authenticatorData: hex(r.authenticatorData), clientDataJSON: hex(r.clientDataJSON), signature: hex(r.signature) },
  });
  status(`Request ${String(q.requestId)}: ${String(res.status)}`);
  await refresh();
}

async function register(): Promise<void> {
  const input = $<HTMLInputElement>('approver-id');
  if (!input.reportValidity()) return;
  const ch = await api('POST', '/console/session/challenge');
  const cred = (await navigator.credentials.create({
    publicKey: {
      rp: { id: String(ch.rpId), name: 'Signer approvals' },
      user: { id: new Uint8Array(enc.encode(input.value)), name: input.value, displayName: input.value },
      challenge: unb64u(String(ch.challenge)),
      pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      attestation: 'none',
    },
  })) as PublicKeyCredential | null;
  if (!cred) throw new Error('no passkey made');
  const r = cred.response as AuthenticatorAttestationResponse;
  const out = await api('POST', '/console/registration', { approverId: input.value, attestationObject: b64u(r.attestationObject), clientDataJSON: b64u(r.clientDataJSON) });
  const pre = $('enrolment');
  pre.textContent = JSON.stringify(out.principal, null, 2);
  pre.hidden = false;
  status('Passkey registered: give this entry to an admin for a policy change.');
}

const guard = (f: () => Promise<void>) => () => void f().catch((e: unknown) => status(String(e), true));
$('sign-in').addEventListener('click', guard(signIn));
$('sign-out').addEventListener(
  'click',
  guard(async () => {
    await api('DELETE', '/console/session');
    signedIn(undefined);
  }),
);
$('register').addEventListener('click', guard(register));
api('GET', '/console/session').then(
  (s) => signedIn(String(s.approverId)),
  () => signedIn(undefined),
);
