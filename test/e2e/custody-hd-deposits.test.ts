// HD deposit addresses end to end (issue 18 item 2, docs/ledger.md "HD deposit addresses"): the custody
// service's routes over app.request(), the real bridge served over HTTP, the appliance process on its
// SoftHSM2 token, anvil (test/helpers/ledger-appliance.ts: the deposit group sweeps into the hot key's
// address). An HD wallet is created in the appliance; the chain is configured with `hdDeposits`, so the
// service reads the account xpub once and then derives each deposit address itself: the audit log shows
// one hd.xpub and no key made per address, and concurrent requests get distinct indexes. A deposit to
// such an address is credited by the deposits job; its sweep first has the appliance derive the key
// (stamped by the admin) at the address's path, checks the answered address, then signs as the service's
// requester; anvil mines it, it settles, the ledger reconciles and replays. A key derived earlier (as
// after a crash) is read back and used; the periodic sweep job sweeps HD addresses too. An xpub that is
// not the wallet's (another wallet's, stored for it) gives addresses the appliance's derivation does
// not: the sweep is refused (hd_key_mismatch, an hd.key_mismatch event), and nothing leaves the address.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Hex } from 'viem';
import { customerAccount } from '../../ledger/accounts.js';
import { nativeAsset } from '../../ledger/assets.js';
import { accountBalance } from '../../ledger/balances.js';
import type { ChainConfig } from '../../ledger/chain.js';
import { findCustodyAddress, registerCustodyAddress } from '../../ledger/custody-addresses.js';
import type { Db } from '../../ledger/db.js';
import { listEvents } from '../../ledger/events.js';
import { ensureAccountXpub, findHdDepositAddress } from '../../ledger/hd-deposits.js';
import { depositAddressFromXpub } from '../../ledger/hd-xpub.js';
import { openLedgerDb } from '../../ledger/open-ledger.js';
import { checkReplay } from '../../ledger/replay.js';
import { buildOpenApi } from '../../custody/openapi.js';
import { LEDGER_MODULES, SERVICE_MODULES } from '../../custody/modules.js';
import { auditPayloadsOf } from '../helpers/e2e-token.js';
import { schemaErrors, type JsonSchema } from '../helpers/json-schema-check.js';
import { startLedgerAppliance, type LedgerAppliance } from '../helpers/ledger-appliance.js';
import { ETH } from '../helpers/test-device.js';
import { OPERATOR_TOKEN, READER_TOKEN } from '../custody/fixtures.js';
import { call, ledgerService, type LedgerService } from '../custody/ledger-service.js';

const CHAIN = 31337n;
const NATIVE = nativeAsset(CHAIN);

let rig: LedgerAppliance;
let db: Db;
let chain: ChainConfig;
let s: LedgerService;
let hot: string;
let walletId: string;
let otherWalletId: string;

type HdAnswer = { address: Hex; customer: string; keyId?: string; keyGroup: string; hd: { walletId: string; account: number; index: number; path: string; keyId: string | null } };
type SweepView = { id: string; from: string; keyId: string; status: string; amount: string; auditSeq: number | null; txHash: string | null; entryId: string | null };

const service = (c: ChainConfig, jobs?: { depositsEveryMs: number; reconcileEveryMs: number; sweepEveryMs: number | null }) =>
  ledgerService(db, [c], {
    bridge: { url: rig.bridgeUrl, token: () => rig.custodyToken },
    settings: { requester: rig.custody, admin: { principal: rig.admin, token: () => rig.adminToken }, ...(jobs ? { jobs } : {}) },
  });

async function newAddress(svc: LedgerService, customer: string): Promise<HdAnswer> {
  const r = await call(svc.app, 'POST', `/v1/customers/${customer}/deposit-addresses`, OPERATOR_TOKEN, { chainId: '31337' });
  assert.equal(r.status, 201, r.text);
  return r.body as unknown as HdAnswer;
}

async function fund(to: Hex, value: bigint): Promise<void> {
  const hash = await rig.anvil.funder.sendTransaction({ to, value, account: rig.anvil.funder.account!, chain: rig.anvil.funder.chain });
  await rig.anvil.publicClient.waitForTransactionReceipt({ hash });
  await rig.mine(1);
}

const balance = (address: string) => rig.anvil.publicClient.getBalance({ address: address as Hex });
const auditKinds = async () => (await auditPayloadsOf(rig.dev)).map((p) => String(p.kind));
const countOf = (kinds: string[], kind: string) => kinds.filter((k) => k === kind).length;

async function createWallet(label: string): Promise<string> {
  const r = await rig.dev.request('POST', '/v1/hd-wallets', rig.adminToken, { label });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  return String(r.json.walletId);
}

before(async () => {
  rig = await startLedgerAppliance();
  db = await openLedgerDb();
  hot = rig.hotAddress;
  await registerCustodyAddress(db, { chainId: CHAIN, address: hot, role: 'hot', keyId: rig.hotKeyId, keyGroup: 'hot' });
  walletId = await createWallet('deposits');
  otherWalletId = await createWallet('other');
  chain = { chainId: CHAIN, rpcUrl: rig.anvil.rpcUrl, finality: { confirmations: 1 }, tokens: [], hdDeposits: { walletId, account: 0 } };
  s = service(chain);
});
after(async () => {
  await db?.close();
  await rig?.stop();
});

let dora: HdAnswer;
let dora2: HdAnswer;

test('deposit addresses derived from the xpub read once: no appliance call per address, distinct indexes under concurrent requests, the device derives the same addresses', async () => {
  const before = await auditKinds();
  dora = await newAddress(s, 'dora');
  dora2 = await newAddress(s, 'dora');
  const ed = await newAddress(s, 'ed');
  assert.deepEqual(
    [dora, dora2, ed].map((a) => [a.hd.walletId, a.hd.account, a.hd.index, a.hd.path, a.hd.keyId, a.keyId]),
    [
      [walletId, 0, 0, "m/44'/60'/0'/0/0", null, undefined],
      [walletId, 0, 1, "m/44'/60'/0'/0/1", null, undefined],
      [walletId, 0, 2, "m/44'/60'/0'/0/2", null, undefined],
    ],
  );
  assert.deepEqual([dora.customer, dora.keyGroup], ['dora', 'deposit']);
  // The answer is what the OpenAPI description says: the registry row, and `hd`.
  const doc = buildOpenApi([...LEDGER_MODULES, ...SERVICE_MODULES]) as JsonSchema;
  const { hd, ...row } = dora;
  assert.deepEqual(schemaErrors(row, { $ref: '#/components/schemas/CustodyAddress' }, doc), []);
  assert.deepEqual(schemaErrors(hd, { $ref: '#/components/schemas/HdDepositAddress' }, doc), []);
  const concurrent = await Promise.all(['f1', 'f2', 'f3', 'f4', 'f5'].map((c) => newAddress(s, c)));
  assert.deepEqual(
    concurrent.map((a) => a.hd.index).sort((a, b) => a - b),
    [3, 4, 5, 6, 7],
  );
  assert.equal(new Set([dora, dora2, ed, ...concurrent].map((a) => a.address)).size, 8);
  const after = await auditKinds();
  assert.equal(countOf(after, 'hd.xpub') - countOf(before, 'hd.xpub'), 1, 'the xpub read once');
  for (const k of ['hd.derive', 'key.generate']) assert.equal(countOf(after, k), countOf(before, k), `no ${k} for an address`);

  // The device's own derivation at those paths gives the same addresses (index 1 is derived now, as if a
  // sweep had asked and the service stopped before recording the key).
  const xpub = await rig.adminBridge.hdAccountXpub(walletId, 0);
  for (const a of [dora, dora2, ed, ...concurrent]) assert.equal(depositAddressFromXpub(xpub, 0, a.hd.index), a.address);
  const derived = await rig.adminBridge.hdDeriveKey(walletId, { account: 0, index: 1, group: 'deposit', label: 'dep-dora' });
  assert.deepEqual([derived.address.toLowerCase(), derived.path, derived.group], [dora2.address, "m/44'/60'/0'/0/1", 'deposit']);
});

test('a deposit to an xpub-derived address is credited, then swept: the key derived at its path (stamped, checked), signed, mined, settled; the ledger reconciles', async () => {
  await fund(dora.address, ETH);
  await s.jobs.runNow('deposits:31337');
  assert.equal((await accountBalance(db, customerAccount('dora', NATIVE)))!.available, ETH, 'credited');
  const derivesBefore = countOf(await auditKinds(), 'hd.derive');
  const hotBefore = await balance(hot);
  const r = await call(s.app, 'POST', '/v1/sweeps', OPERATOR_TOKEN, { chainId: '31337', depositAddress: dora.address });
  assert.equal(r.status, 201, r.text);
  const sw = r.body as unknown as SweepView;
  assert.equal(sw.status, 'broadcast');
  // The appliance derived the key once, at the address's path, into the deposit group, for the admin whose stamp it verified.
  const payloads = await auditPayloadsOf(rig.dev);
  assert.equal(
    countOf(
      payloads.map((p) => String(p.kind)),
      'hd.derive',
    ) - derivesBefore,
    1,
  );
  const derive = payloads.filter((p) => p.kind === 'hd.derive').at(-1)!;
  assert.deepEqual(
    [derive.walletId, derive.path, derive.group, String(derive.address).toLowerCase(), derive.requester, derive.requesterProof],
    [walletId, "m/44'/60'/0'/0/0", 'deposit', dora.address, rig.admin.id, 'verified'],
  );
  assert.equal(sw.keyId, derive.keyId);
  assert.deepEqual(await findCustodyAddress(db, CHAIN, dora.address), { chainId: CHAIN, address: dora.address, role: 'deposit', customer: 'dora', keyId: sw.keyId, keyGroup: 'deposit' });
  assert.equal((await findHdDepositAddress(db, CHAIN, dora.address))!.keyId, sw.keyId);
  // Signed like any sweep: as the custody requester, stamped, through the deposit group's policy.
  const signed = await rig.auditEntry(sw.auditSeq);
  assert.deepEqual([signed.kind, signed.outcome, signed.keyId, signed.requester, signed.requesterProof], ['sign.evm-tx', 'allow', sw.keyId, 'custody', 'verified']);
  const receipt = await rig.anvil.publicClient.getTransactionReceipt({ hash: sw.txHash as Hex });
  assert.deepEqual([receipt.status, receipt.from.toLowerCase(), receipt.to?.toLowerCase()], ['success', dora.address, hot]);

  await rig.mine(1);
  await s.jobs.runNow('deposits:31337');
  const settled = (await call(s.app, 'GET', `/v1/sweeps?address=${dora.address}`, READER_TOKEN)).body.sweeps as SweepView[];
  assert.deepEqual(
    settled.map((x) => [x.status, x.entryId !== null]),
    [['settled', true]],
  );
  const fee = receipt.gasUsed * receipt.effectiveGasPrice;
  assert.equal((await balance(hot)) - hotBefore, BigInt(sw.amount));
  assert.equal(await balance(dora.address), ETH - BigInt(sw.amount) - fee);
  const run = await call(s.app, 'POST', '/v1/reconciliations', OPERATOR_TOKEN, { chainId: '31337' });
  assert.equal(run.status, 201, run.text);
  assert.equal((run.body.reconciliations as { breakCount: number }[])[0]!.breakCount, 0, 'the ledger matches the chain');
  assert.deepEqual((await checkReplay(db)).differences, []);
  assert.equal((await accountBalance(db, customerAccount('dora', NATIVE)))!.available, ETH, "the customer's balance is untouched by the sweep");
  assert.deepEqual(s.failures, []);
});

test('the periodic sweep job sweeps an HD address whose key the appliance derived before (read back and checked), and skips the empty ones', async () => {
  await fund(dora2.address, 2n * ETH);
  const j = service(chain, { depositsEveryMs: 60_000, reconcileEveryMs: 600_000, sweepEveryMs: 5_000 });
  j.jobs.start();
  j.clock.advance(0);
  await j.jobs.settled();
  j.clock.advance(5_000);
  await j.jobs.settled();
  await j.jobs.stop();
  assert.deepEqual(j.failures, [], 'empty addresses are nothing to sweep, not failures');
  const sweeps = (await call(j.app, 'GET', `/v1/sweeps?address=${dora2.address}`, READER_TOKEN)).body.sweeps as SweepView[];
  assert.equal(sweeps.length, 1);
  const key = await rig.adminBridge.getKey(sweeps[0]!.keyId);
  assert.equal(key.address.toLowerCase(), dora2.address, 'the key the appliance derived in the first test');
  const receipt = await rig.anvil.publicClient.waitForTransactionReceipt({ hash: sweeps[0]!.txHash as Hex });
  assert.deepEqual([receipt.status, receipt.from.toLowerCase()], ['success', dora2.address]);
  // Only the funded addresses got keys: the others still have none.
  for (const c of ['ed', 'f1']) {
    const rows = await db.query<{ key_id: string | null }>('SELECT key_id FROM ledger_custody_addresses WHERE customer = $1', [c]);
    assert.deepEqual(
      rows.rows.map((x) => x.key_id),
      [null],
      c,
    );
  }
});

test("an xpub that is not the wallet's gives an address the appliance does not derive: the sweep is refused (hd_key_mismatch), recorded with an event, nothing leaves", async () => {
  // The ledger holds, for account 1 of the wallet, the xpub of account 1 of another wallet (a wrong or
  // tampered record): the addresses it gives are not the wallet's.
  const foreign = await rig.adminBridge.hdAccountXpub(otherWalletId, 1);
  await ensureAccountXpub(db, { walletId, account: 1 }, async () => foreign);
  const m = service({ ...chain, hdDeposits: { walletId, account: 1 } });
  const mallory = await newAddress(m, 'mallory');
  assert.equal(mallory.address, depositAddressFromXpub(foreign, 1, 0));
  await fund(mallory.address, ETH);
  await m.jobs.runNow('deposits:31337');
  assert.equal((await accountBalance(db, customerAccount('mallory', NATIVE)))!.available, ETH, 'the deposit is credited like any');
  const eventsBefore = (await listEvents(db, 0, 1000)).length;
  const r = await call(m.app, 'POST', '/v1/sweeps', OPERATOR_TOKEN, { chainId: '31337', depositAddress: mallory.address });
  assert.equal(r.status, 502, r.text);
  assert.equal(r.body.code, 'hd_key_mismatch');
  const events = (await listEvents(db, 0, 1000)).slice(eventsBefore);
  assert.deepEqual(
    events.map((e) => [e.type, e.payload.address, e.payload.path, e.payload.walletId]),
    [['hd.key_mismatch', mallory.address, "m/44'/60'/1'/0/0", walletId]],
  );
  const derivedThere = (await auditPayloadsOf(rig.dev)).filter((p) => p.kind === 'hd.derive').at(-1)!;
  assert.equal(derivedThere.path, "m/44'/60'/1'/0/0");
  assert.equal(String(derivedThere.address).toLowerCase(), events[0]!.payload.answered, 'the event names what the appliance answered');
  assert.ok((await findHdDepositAddress(db, CHAIN, mallory.address))!.mismatch !== undefined);
  // Refused again at once, with no new event; no sweep recorded; nothing left the address.
  const again = await call(m.app, 'POST', '/v1/sweeps', OPERATOR_TOKEN, { chainId: '31337', depositAddress: mallory.address });
  assert.deepEqual([again.status, again.body.code], [502, 'hd_key_mismatch']);
  assert.equal((await listEvents(db, 0, 1000)).length, eventsBefore + 1);
  assert.deepEqual((await call(m.app, 'GET', `/v1/sweeps?address=${mallory.address}`, READER_TOKEN)).body.sweeps, []);
  assert.equal((await findCustodyAddress(db, CHAIN, mallory.address))!.keyId, undefined, 'no key recorded for it');
  assert.equal(await balance(mallory.address), ETH);
});
