// Red-team scenarios for issue 11, items 2 and 9. They run on a device of their own ("typed") whose
// policy allowlists the EIP-712 domain of the world's token, as the example policy allowlists USDC's,
// with a 150-token hourly window on that token.
// - H2, H2b, H2c: typed data that moves funds is understood or refused: an EIP-3009 authorisation to a
//   stranger, authorisations that split past the token's window, and primary types the firmware does
//   not decode (an unrelated type, and a look-alike of TransferWithAuthorization with one field more).
// - H2d-H2g (review of item 2): a Permit2 PermitBatchTransferFrom of 50 × 100 tokens to a whitelisted
//   spender (5,000 under a 100 per-transaction limit); a witness form whose type hash is not
//   allowlisted; Permit2 on a chain the group does not sign for; a policy document that lists one
//   typed-data domain twice (the evaluator reads the first entry, the policy diff all of them).
// - H9: a stricter policy's quorum lands while signatures are in flight; every audit entry must name
//   the policy that decided, so the offline replay of the whole log confirms every decision.
import { keccak256, toHex } from 'viem';
import type { PolicyJson } from '../../../host-bridge/policy-json.js';
import { replayDecisions } from '../../../attestation/audit-replay.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { decodeCanonical, type CborMap } from '../../../protocol/cbor.js';
import { decodeCoseSign1 } from '../../../attestation/cose-sign1.js';
import { encodePolicy, parsePolicy, policyHash } from '../../../firmware-policy/policy-document.js';
import type { Scenario } from '../scenario.js';
import { CHAIN_ID, ETH, person, reasonCodes, tx, type Json, type RedteamDevice, type Reply } from '../harness.js';
import { mainPolicy, type World } from '../world.js';
import { judgeTypedDenied } from '../judge.js';
import { PERMIT2_ADDRESS, permit2Domain, permit2TransferTypedData, TOKEN_DOMAIN_TYPE, transferWithAuthorizationTypedData } from '../../../test/helpers/typed-data-fixtures.js';

const TOKEN_UNIT = 10n ** 18n;
/** H9: signatures in flight when the stricter policy's quorum lands. */
const N = 24;
const WINDOW = 150n * TOKEN_UNIT;
/** A chain the "hot" group does not sign for, though a typed-data domain entry names it. */
const OTHER_CHAIN = 1;

function typedPolicy(w: World): PolicyJson {
  const p = mainPolicy(w.people, w.addr.token);
  const asset = `${CHAIN_ID}:erc20:${w.addr.token.toLowerCase()}`;
  p.groups.hot!.assets[asset] = { ...p.groups.hot!.assets[asset]!, perTxMax: (100n * TOKEN_UNIT).toString(), windows: [{ seconds: 3600, maxAmount: WINDOW.toString(), maxCount: 100 }] };
  p.groups.hot!.typedData = [
    { chainId: CHAIN_ID, verifyingContract: w.addr.token },
    // Uniswap's Permit2 on this chain, and on a chain the group does not sign for (H2d-H2g).
    { chainId: CHAIN_ID, verifyingContract: PERMIT2_ADDRESS },
    { chainId: OTHER_CHAIN, verifyingContract: PERMIT2_ADDRESS },
  ];
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

let authNonce = 0;

/** An EIP-3009 authorisation on the world token's domain (as USDC's); `extra` adds one field more (a look-alike type). */
function authorization(w: World, from: string, to: string, value: bigint, extra?: { name: string; type: string; value: unknown }): Json {
  const nonce = keccak256(toHex(`redteam-auth-${authNonce++}`));
  return transferWithAuthorizationTypedData(usdcDomain(w), { from, to, value, nonce }, extra ? { extra } : {});
}

const usdcDomain = (w: World) => ({ name: 'USD Coin', version: '2', chainId: CHAIN_ID, verifyingContract: w.addr.token });

let permit2Nonce = 0;

/** A Permit2 SignatureTransfer of `amounts` of the world's token to `spender` (a batch when an array; with `witness`, an Order to the stranger). */
function permit2Transfer(w: World, spender: string, amounts: bigint[] | bigint, opts: { chainId?: number; witness?: boolean } = {}): Json {
  const permitted = Array.isArray(amounts) ? amounts.map((amount) => ({ token: w.addr.token, amount })) : { token: w.addr.token, amount: amounts };
  return permit2TransferTypedData(permit2Domain(opts.chainId ?? CHAIN_ID), { spender, permitted, nonce: 900_000 + permit2Nonce++, ...(opts.witness ? { witness: w.addr.stranger } : {}) });
}

function signTyped(d: RedteamDevice, typedData: Json): Promise<Reply> {
  return d.request('POST', '/v1/sign/typed-data', d.tokens.orchestrator, { keyId: d.key('hot-1').keyId, typedData }, { 'Idempotency-Key': d.newRequestId('typed') });
}

/** Every audit payload, decoded from the exact COSE bytes the auditor route serves (what replay reads). */
async function auditPayloads(d: RedteamDevice): Promise<CborMap[]> {
  const out: CborMap[] = [];
  for (let from = 1; ;) {
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
      const mail = { types: { EIP712Domain: TOKEN_DOMAIN_TYPE, Mail: [{ name: 'contents', type: 'string' }] }, primaryType: 'Mail', domain: usdcDomain(w), message: { contents: 'pay a stranger' } };
      const r1 = await signTyped(d, mail);
      const lookAlike = authorization(w, d.key('hot-1').address, w.addr.stranger, 1_000_000n * TOKEN_UNIT, { name: 'memo', type: 'string', value: 'x' });
      const r2 = await signTyped(d, lookAlike);
      const o1 = await judgeTypedDenied(d, v, head, r1, 'typed_type_not_allowed');
      const o2 = await judgeTypedDenied(d, v, head, r2, 'typed_type_not_allowed');
      return { result: `Mail: ${o1.result}; look-alike: ${o2.result}`, auditSeq: o1.auditSeq, logged: o1.logged && o2.logged };
    },
  },
  {
    id: 'H2d',
    attacker: 'orchestrator',
    attack: 'Permit2 PermitBatchTransferFrom of 50 × 100 tokens (5,000) to a whitelisted spender, under a 100 per-tx limit and a 150/h window',
    expected: '403 per-tx-limit/per_tx_limit (judged as one transfer of the summed amount to the spender)',
    async run(w, v) {
      const d = await device(w);
      const head = await d.auditHead();
      const r = await signTyped(
        d,
        permit2Transfer(
          w,
          w.addr.recipient,
          Array.from({ length: 50 }, () => 100n * TOKEN_UNIT),
        ),
      );
      const o = await judgeTypedDenied(d, v, head, r, 'per_tx_limit');
      v.expect(reasonCodes(r.json).includes('window_amount'), 'the summed amount is not judged against the token window');
      return o;
    },
  },
  {
    id: 'H2e',
    attacker: 'orchestrator',
    attack: 'Permit2 PermitWitnessTransferFrom (binds an Order the firmware does not read) of 1 token to a whitelisted spender; the type hash is not allowlisted',
    expected: '403 typed-data/typed_type_not_allowed',
    async run(w, v) {
      const d = await device(w);
      const head = await d.auditHead();
      const r = await signTyped(d, permit2Transfer(w, w.addr.recipient, TOKEN_UNIT, { witness: true }));
      return judgeTypedDenied(d, v, head, r, 'typed_type_not_allowed');
    },
  },
  {
    id: 'H2f',
    attacker: 'orchestrator',
    attack: `Permit2 PermitTransferFrom of 1 token on chain ${OTHER_CHAIN}: its domain is listed, the chain is not one the group signs for`,
    expected: '403 chain-allowlist/chain_not_allowed',
    async run(w, v) {
      const d = await device(w);
      const head = await d.auditHead();
      const r = await signTyped(d, permit2Transfer(w, w.addr.recipient, TOKEN_UNIT, { chainId: OTHER_CHAIN }));
      return judgeTypedDenied(d, v, head, r, 'chain_not_allowed');
    },
  },
  {
    id: 'H2g',
    attacker: 'admin',
    attack: 'propose a policy document listing the Permit2 domain twice, the second entry adding a type hash (the evaluator reads the first entry, the diff all of them)',
    expected: '400 bad_request, the refusal audited, nothing proposed',
    async run(w, v) {
      const d = await device(w);
      const head = await d.auditHead();
      const active = (await d.client.call('policy.get')) as CborMap;
      const doc = parsePolicy(active.document as CborMap);
      const hot = doc.groups.hot!;
      const twice = {
        ...doc,
        version: doc.version + 1,
        parentHash: policyHash(doc),
        groups: {
          ...doc.groups,
          hot: { ...hot, typedData: [...hot.typedData!, { chainId: BigInt(CHAIN_ID), verifyingContract: hexToBytes(PERMIT2_ADDRESS.slice(2)), typeHashes: [new Uint8Array(32).fill(0xab)] }] },
        },
      };
      const r = await d.request('POST', '/v1/policy/proposals', d.tokens.admin, { document: '0x' + Buffer.from(encodePolicy(twice)).toString('hex') });
      const code = r.json.code as string | undefined;
      v.expect(r.status === 400 && code === 'bad_request', `expected 400 bad_request, got ${r.status} ${String(code ?? r.json.status)}`);
      const since = await d.auditSince(head);
      v.expect(!since.some((p) => p.kind === 'policy.propose'), 'a policy proposal was recorded');
      v.expect(await d.noSignatureSince(head), 'the audit log records a signature made since the attack');
      const seq = since.find((p) => p.kind === 'refusal' && p.command === 'policy.propose' && p.code === 'bad_request')?.seq;
      const auditSeq = seq === undefined ? null : Number(seq);
      const logged = v.recorded(auditSeq !== null && auditSeq === Number(r.json.details?.auditSeq), 'no refusal entry (policy.propose, bad_request) named by the answer');
      return { result: `${r.status} ${String(code)}, nothing proposed`, auditSeq, logged };
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
      v.expect(
        signed.every((p) => p.policyVersion === before),
        `a signed entry names v${after}, which would have denied it`,
      );
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
