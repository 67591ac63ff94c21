// Red-team scenarios for issue 11, items 2 and 9. They run on a device of their own ("typed") whose
// policy allowlists the EIP-712 domain of the world's token, as the example policy allowlists USDC's,
// with a 150-token hourly window on that token.
// - H2, H2b, H2c: typed data that moves funds is understood or refused: an EIP-3009 authorisation to a
//   stranger, authorisations that split past the token's window, and primary types the firmware does
//   not decode (an unrelated type, and a look-alike of TransferWithAuthorization with one field more).
// - H9: a stricter policy's quorum lands while signatures are in flight; every audit entry must name
//   the policy that decided, so the offline replay of the whole log confirms every decision.
import { keccak256, toHex } from 'viem';
import type { PolicyJson } from '../../../cli/policy-json.js';
import { replayDecisions } from '../../../attestation/audit-replay.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { decodeCanonical, type CborMap } from '../../../protocol/cbor.js';
import { decodeCoseSign1 } from '../../../attestation/cose-sign1.js';
import type { Outcome, Scenario, Verdict } from '../scenario.js';
import { CHAIN_ID, ETH, person, reasonCodes, tx, type Json, type RedteamDevice, type Reply } from '../harness.js';
import { mainPolicy, type World } from '../world.js';

const TOKEN_UNIT = 10n ** 18n;
/** H9: signatures in flight when the stricter policy's quorum lands. */
const N = 24;
const WINDOW = 150n * TOKEN_UNIT;

function typedPolicy(w: World): PolicyJson {
  const p = mainPolicy(w.people, w.addr.token);
  const asset = `${CHAIN_ID}:erc20:${w.addr.token.toLowerCase()}`;
  p.groups.hot!.assets[asset] = { ...p.groups.hot!.assets[asset]!, perTxMax: (100n * TOKEN_UNIT).toString(), windows: [{ seconds: 3600, maxAmount: WINDOW.toString(), maxCount: 100 }] };
  p.groups.hot!.typedData = [{ chainId: CHAIN_ID, verifyingContract: w.addr.token }];
  return p;
}

let typedDevice: Promise<RedteamDevice> | undefined;
/** The scenarios' own device (made once), with the recipient whitelisted in "hot" (hold 0 s). */
function device(w: World): Promise<RedteamDevice> {
  typedDevice ??= (async () => {
    const d = await w.device('typed', typedPolicy(w), [{ label: 'hot-1', group: 'hot' }]);
    await d.whitelist(w.addr.recipient, 'hot');
    return d;
  })();
  return typedDevice;
}

const DOMAIN_TYPE = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
];
const AUTH_FIELDS = [
  { name: 'from', type: 'address' },
  { name: 'to', type: 'address' },
  { name: 'value', type: 'uint256' },
  { name: 'validAfter', type: 'uint256' },
  { name: 'validBefore', type: 'uint256' },
  { name: 'nonce', type: 'bytes32' },
];
let authNonce = 0;

function authorization(w: World, from: string, to: string, value: bigint, extra?: { name: string; type: string; value: unknown }): Json {
  return {
    types: { EIP712Domain: DOMAIN_TYPE, TransferWithAuthorization: extra ? [...AUTH_FIELDS, { name: extra.name, type: extra.type }] : AUTH_FIELDS },
    primaryType: 'TransferWithAuthorization',
    domain: { name: 'USD Coin', version: '2', chainId: CHAIN_ID, verifyingContract: w.addr.token },
    message: { from, to, value: value.toString(), validAfter: '0', validBefore: '4102444800', nonce: keccak256(toHex(`redteam-auth-${authNonce++}`)), ...(extra ? { [extra.name]: extra.value } : {}) },
  };
}

function signTyped(d: RedteamDevice, typedData: Json): Promise<Reply> {
  return d.request('POST', '/v1/sign/typed-data', d.tokens.orchestrator, { keyId: d.key('hot-1').keyId, typedData }, { 'Idempotency-Key': d.newRequestId('typed') });
}

/** A typed-data request denied with `code`: 403, no signature, nothing signed since `head`, and its audit entry. */
async function judgeTypedDenied(d: RedteamDevice, v: Verdict, head: number, r: Reply, code: string): Promise<Outcome> {
  const codes = reasonCodes(r.json);
  v.expect(r.status === 403 && r.json.status === 'denied', `expected 403 denied, got ${r.status} ${String(r.json.status ?? r.json.error?.code)}`);
  v.expect(codes.includes(code), `expected reason ${code}, got [${codes.join(', ')}]`);
  v.expect(r.json.signature === undefined, 'the response carries a signature');
  v.expect(await d.noSignatureSince(head), 'the audit log records a signature made since the attack');
  const seq = await d.findAudit(head, (p) => p.kind === 'sign.typed-data' && p.requestId === r.json.requestId && p.outcome === 'deny' && reasonCodes(p).includes(code));
  const logged = v.recorded(seq !== null && seq === Number(r.json.auditSeq), `no audit entry (sign.typed-data, deny, ${code}) for ${String(r.json.requestId)}`);
  return { result: `${r.status} ${String(r.json.status)} [${codes.join(', ')}], nothing signed`, auditSeq: seq, logged };
}

/** Every audit payload, decoded from the exact COSE bytes the auditor route serves (what replay reads). */
async function auditPayloads(d: RedteamDevice): Promise<CborMap[]> {
  const out: CborMap[] = [];
  for (let from = 1; ; ) {
    const page = await d.request('GET', `/v1/audit?fromSeq=${from}&limit=1000`, d.tokens.auditor);
    const entries = (page.json.entries ?? []) as Json[];
    if (entries.length === 0) return out;
    for (const e of entries) out.push(decodeCanonical(decodeCoseSign1(hexToBytes(String(e.entry).slice(2))).payload ?? new Uint8Array()) as CborMap);
    from = Number(entries[entries.length - 1]?.seq) + 1;
  }
}

export const typedDataScenarios: Scenario[] = [
  {
    id: 'H2',
    attacker: 'orchestrator',
    attack: 'EIP-3009 TransferWithAuthorization of 1,000,000 tokens to a stranger, on an allowlisted token domain',
    expected: '403 whitelist/not_whitelisted (read as a transfer)',
    async run(w, v) {
      const d = await device(w);
      const head = await d.auditHead();
      const r = await signTyped(d, authorization(w, d.key('hot-1').address, w.addr.stranger, 1_000_000n * TOKEN_UNIT));
      const o = await judgeTypedDenied(d, v, head, r, 'not_whitelisted');
      v.expect(reasonCodes(r.json).includes('per_tx_limit'), 'the amount is not judged against the per-transaction limit');
      return o;
    },
  },
  {
    id: 'H2b',
    attacker: 'orchestrator',
    attack: 'split 200 tokens into two authorisations of 100 to a whitelisted recipient under a 150-token/h window',
    expected: 'first signed (counted), then 403 velocity-window/window_amount',
    async run(w, v) {
      const d = await device(w);
      const from = d.key('hot-1').address;
      const first = await signTyped(d, authorization(w, from, w.addr.recipient, 100n * TOKEN_UNIT));
      v.expect(first.status === 200 && typeof first.json.signature === 'string', `setup: the first authorisation within limits is signed (${first.status} ${String(first.json.status)})`);
      const head = await d.auditHead();
      const second = await signTyped(d, authorization(w, from, w.addr.recipient, 100n * TOKEN_UNIT));
      const o = await judgeTypedDenied(d, v, head, second, 'window_amount');
      return { ...o, result: `first authorisation: ${first.status} signed (100 of 150 counted); second: ${o.result}` };
    },
  },
  {
    id: 'H2c',
    attacker: 'orchestrator',
    attack: 'typed data the firmware does not decode on the allowlisted domain: an unrelated type, and TransferWithAuthorization with one extra field',
    expected: '403 typed-data/typed_type_not_allowed for both',
    async run(w, v) {
      const d = await device(w);
      const head = await d.auditHead();
      const mail = { types: { EIP712Domain: DOMAIN_TYPE, Mail: [{ name: 'contents', type: 'string' }] }, primaryType: 'Mail', domain: { name: 'USD Coin', version: '2', chainId: CHAIN_ID, verifyingContract: w.addr.token }, message: { contents: 'pay a stranger' } };
      const r1 = await signTyped(d, mail);
      const lookAlike = authorization(w, d.key('hot-1').address, w.addr.stranger, 1_000_000n * TOKEN_UNIT, { name: 'memo', type: 'string', value: 'x' });
      const r2 = await signTyped(d, lookAlike);
      const o1 = await judgeTypedDenied(d, v, head, r1, 'typed_type_not_allowed');
      const o2 = await judgeTypedDenied(d, v, head, r2, 'typed_type_not_allowed');
      return { result: `Mail: ${o1.result}; look-alike: ${o2.result}`, auditSeq: o1.auditSeq, logged: o1.logged && o2.logged };
    },
  },
  {
    id: 'H9',
    attacker: 'admin',
    attack: `a stricter policy (0.1 ETH per tx) reaches quorum while ${N} signatures of 0.5 ETH are in flight`,
    expected: 'each audit entry names the policy that decided; offline replay confirms every decision',
    async run(w, v) {
      const d = await device(w);
      const head = await d.auditHead();
      const before = await d.activePolicyVersion();
      const stricter = typedPolicy(w);
      stricter.groups.hot!.assets[`${CHAIN_ID}:native`]!.perTxMax = (ETH / 10n).toString();
      const proposed = await d.proposePolicy(stricter);
      v.expect(proposed.status === 201, `setup: proposal ${proposed.status}`);
      const first = await d.approvePolicy(proposed.json, person(w.people.admins, 'admin-1'));
      v.expect(first.status === 200, `setup: first admin approval ${first.status}`);
      const base = 50_000 + Math.floor(Math.random() * 1000) * 100;
      // The quorum is sent as soon as the first signature comes back, while the others are in flight.
      const signs = Array.from({ length: N }, (_, i) => d.sign('hot-1', tx(w.addr.recipient, ETH / 2n, base + i)));
      await Promise.race(signs);
      const quorum = await d.approvePolicy(proposed.json, person(w.people.admins, 'admin-2'));
      v.expect(quorum.status === 200, `setup: quorum approval ${quorum.status}`);
      const results = await Promise.all(signs);
      const after = await d.activePolicyVersion();
      v.expect(after === before + 1, `the stricter policy is active (v${before} → v${after})`);
      const payloads = await auditPayloads(d);
      const activation = payloads.find((p) => p.kind === 'policy.activate' && Number(p.seq) > head);
      const signed = payloads.filter((p) => p.kind === 'sign.evm-tx' && Number(p.seq) > head && p.result === 'signed');
      v.expect(signed.every((p) => p.policyVersion === before), `a signed entry names v${after}, which would have denied it`);
      const report = replayDecisions(payloads);
      v.expect(report.mismatches.length === 0, `replay mismatches: ${JSON.stringify(report.mismatches.slice(0, 3))}`);
      const statuses = results.map((r) => r.status);
      const logged = v.recorded(activation !== undefined, 'no policy.activate entry');
      return {
        result: `${statuses.filter((s) => s === 200).length} signed under v${before}, ${statuses.filter((s) => s === 403).length} denied under v${after}; replay confirmed ${report.confirmed}/${report.decisions}`,
        auditSeq: activation ? Number(activation.seq) : null,
        logged,
      };
    },
  },
];
