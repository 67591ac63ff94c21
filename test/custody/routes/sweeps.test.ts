// The sweeps module over app.request() on a real anvil: a deposit address funded and credited, swept
// through POST /v1/sweeps (the service builds the transaction, asks the bridge's signing route as its
// requester under the sweep's request id, checks what comes back and broadcasts it), settled by the
// deposits job once final, and the ledger then reconciles with the chain; nothing left to sweep is 409;
// a denial is recorded with its reason codes; the periodic sweep job on the hand-driven clock. The
// bridge here is an HTTP double that signs with the deposit key the test made (the appliance behind the
// real bridge is exercised by test/e2e/ledger-sweep.test.ts).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import type { ChainConfig } from '../../../ledger/chain.js';
import { registerCustodyAddress } from '../../../ledger/custody-addresses.js';
import type { Db } from '../../../ledger/db.js';
import { openLedgerDb } from '../../../ledger/open-ledger.js';
import { startAnvil, type Anvil } from '../../helpers/anvil.js';
import { OPERATOR_TOKEN, READER_TOKEN } from '../fixtures.js';
import { call, ledgerService, type LedgerService } from '../ledger-service.js';

const ETH = 10n ** 18n;
const REQUESTER_TOKEN = 'hsm_custody_requester_for_tests';
const keys = new Map<string, PrivateKeyAccount>();
const asked: { idempotencyKey: string | undefined; body: Record<string, unknown> }[] = [];
const hot = privateKeyToAccount(generatePrivateKey()).address.toLowerCase() as Hex;

let anvil: Anvil;
let db: Db;
let bridge: Server;
let s: LedgerService;
let chain: ChainConfig;

async function depositKey(keyId: string, customer: string): Promise<Hex> {
  const acct = privateKeyToAccount(generatePrivateKey());
  keys.set(keyId, acct);
  const address = acct.address.toLowerCase() as Hex;
  await registerCustodyAddress(db, { chainId: 31337n, address, role: 'deposit', customer, keyId, keyGroup: 'deposit' });
  return address;
}

async function fund(to: Hex, value: bigint): Promise<void> {
  const hash = await anvil.funder.sendTransaction({ to, value, account: anvil.funder.account!, chain: anvil.funder.chain });
  await anvil.publicClient.waitForTransactionReceipt({ hash });
  await mine();
}

const mine = () => anvil.publicClient.request({ method: 'evm_mine' as never, params: [] as never });

before(async () => {
  anvil = await startAnvil();
  db = await openLedgerDb();
  await registerCustodyAddress(db, { chainId: 31337n, address: hot, role: 'hot' });
  bridge = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      void (async () => {
        const send = (status: number, json: unknown) => {
          res.writeHead(status, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(json));
        };
        if (req.headers.authorization !== `Bearer ${REQUESTER_TOKEN}`) return send(401, { error: { code: 'unauthorized', message: 'unknown token' } });
        if (req.url === '/healthz') return send(200, { status: 'ok', deviceId: 'dev-test-2' });
        const body = JSON.parse(text) as { keyId: string; transaction: Record<string, string> };
        asked.push({ idempotencyKey: req.headers['idempotency-key'] as string | undefined, body });
        if (body.keyId.startsWith('deny')) return send(403, { status: 'denied', auditSeq: 9, reasons: [{ rule: 'sweepTo', code: 'sweep_only', message: 'not the hot address' }] });
        const t = body.transaction;
        const raw = await keys.get(body.keyId)!.signTransaction({
          type: 'eip1559',
          chainId: Number(t.chainId),
          nonce: Number(t.nonce),
          to: t.to as Hex,
          value: BigInt(t.value!),
          gas: BigInt(t.gasLimit!),
          maxFeePerGas: BigInt(t.maxFeePerGas!),
          maxPriorityFeePerGas: BigInt(t.maxPriorityFeePerGas!),
          ...(t.data ? { data: t.data as Hex } : {}),
        });
        send(200, { status: 'signed', rawTransaction: raw, auditSeq: 7 });
      })();
    });
  });
  await new Promise<void>((resolve) => bridge.listen(0, '127.0.0.1', resolve));
  chain = { chainId: 31337n, rpcUrl: anvil.rpcUrl, finality: { confirmations: 1 }, tokens: [] };
  s = ledgerService(db, [chain], { bridge: { url: `http://127.0.0.1:${(bridge.address() as AddressInfo).port}`, token: () => REQUESTER_TOKEN } });
});
after(async () => {
  await db?.close();
  await new Promise<void>((resolve) => (bridge ? bridge.close(() => resolve()) : resolve()));
  await anvil?.stop();
});

type SweepView = { id: string; from: string; to: string; status: string; amount: string; requestId: string; txHash: string | null; entryId: string | null; fee: string | null; reasons: string[] };

test('a credited deposit swept to the hot address, settled once final by the deposits job; the ledger then matches the chain', async () => {
  const gina = await depositKey('dep-gina', 'gina');
  await fund(gina, ETH);
  await s.jobs.runNow('deposits:31337');
  const r = await call(s.app, 'POST', '/v1/sweeps', OPERATOR_TOKEN, { chainId: '31337', depositAddress: gina });
  assert.equal(r.status, 201, r.text);
  const sw = r.body as unknown as SweepView;
  assert.equal(sw.status, 'broadcast');
  assert.equal(sw.from, gina);
  assert.equal(sw.to, hot, "the chain's one hot address by default");
  assert.equal(asked.at(-1)!.idempotencyKey, sw.requestId);
  assert.equal(asked.at(-1)!.body.keyId, 'dep-gina');
  const onChain = await anvil.publicClient.getTransactionReceipt({ hash: sw.txHash as Hex });
  assert.equal(onChain.status, 'success');
  assert.deepEqual((await call(s.app, 'GET', '/v1/sweeps?status=settled', READER_TOKEN)).body.sweeps, [], 'not final yet');
  await mine();
  await s.jobs.runNow('deposits:31337');
  const settled = (await call(s.app, 'GET', '/v1/sweeps?status=settled', READER_TOKEN)).body.sweeps as SweepView[];
  assert.equal(settled.length, 1);
  assert.equal(settled[0]!.id, sw.id);
  assert.ok(settled[0]!.entryId !== null && BigInt(settled[0]!.fee!) > 0n);
  assert.equal(BigInt(await anvil.publicClient.getBalance({ address: hot })), BigInt(sw.amount));
  const run = await call(s.app, 'POST', '/v1/reconciliations', OPERATOR_TOKEN, { chainId: '31337' });
  assert.equal((run.body.reconciliations as { breakCount: number }[])[0]!.breakCount, 0);
  const again = await call(s.app, 'POST', '/v1/sweeps', OPERATOR_TOKEN, { chainId: '31337', depositAddress: gina });
  assert.equal(again.status, 409);
  assert.equal(again.body.code, 'nothing_to_sweep');
});

test('refusals: a denial recorded with its reasons (409 sweep_refused), not a deposit address 404, bad input 400, a reader 403', async () => {
  const hank = await depositKey('deny-hank', 'hank');
  await fund(hank, ETH);
  const denied = await call(s.app, 'POST', '/v1/sweeps', OPERATOR_TOKEN, { chainId: '31337', depositAddress: hank });
  assert.equal(denied.status, 409);
  assert.equal(denied.body.code, 'sweep_refused');
  const listed = (await call(s.app, 'GET', `/v1/sweeps?address=${hank}`, READER_TOKEN)).body.sweeps as SweepView[];
  assert.deepEqual(
    listed.map((x) => [x.status, x.reasons]),
    [['denied', ['sweep_only']]],
  );
  const notDeposit = await call(s.app, 'POST', '/v1/sweeps', OPERATOR_TOKEN, { chainId: '31337', depositAddress: hot });
  assert.equal(notDeposit.status, 404);
  assert.equal(notDeposit.body.code, 'not_found');
  for (const [body, field] of [
    [{ chainId: '31337' }, 'depositAddress'],
    [{ chainId: '31337', depositAddress: hank, extra: 1 }, 'extra'],
    [{ chainId: '5', depositAddress: hank }, 'chainId'],
  ] as const) {
    const r = await call(s.app, 'POST', '/v1/sweeps', OPERATOR_TOKEN, body);
    assert.equal(r.status, 400);
    assert.equal(r.body.field, field);
  }
  assert.equal((await call(s.app, 'POST', '/v1/sweeps', READER_TOKEN, { chainId: '31337', depositAddress: hank })).status, 403);
  const page = await call(s.app, 'GET', '/v1/sweeps?limit=1', READER_TOKEN);
  assert.equal((page.body.sweeps as unknown[]).length, 1);
  const rest = await call(s.app, 'GET', `/v1/sweeps?after=${page.body.next as string}`, READER_TOKEN);
  assert.deepEqual(
    (rest.body.sweeps as SweepView[]).map((x) => x.from),
    [hank],
  );
});

test('the periodic sweep job (jobs.sweepEveryMs) sweeps what is final, goes on past a denied address and reports it', async () => {
  const ivan = await depositKey('dep-ivan', 'ivan');
  await fund(ivan, 2n * ETH);
  const j = ledgerService(db, [chain], {
    bridge: { url: `http://127.0.0.1:${(bridge.address() as AddressInfo).port}`, token: () => REQUESTER_TOKEN },
    settings: { jobs: { depositsEveryMs: 60_000, reconcileEveryMs: 600_000, sweepEveryMs: 5_000 } },
  });
  assert.ok(j.jobs.status().some((x) => x.name === 'sweeps:31337'));
  j.jobs.start();
  j.clock.advance(0);
  await j.jobs.settled();
  assert.deepEqual((await call(j.app, 'GET', `/v1/sweeps?address=${ivan}`, READER_TOKEN)).body.sweeps, [], 'no sweep before its interval');
  j.clock.advance(5_000);
  await j.jobs.settled();
  await j.jobs.stop();
  const ivans = (await call(j.app, 'GET', `/v1/sweeps?address=${ivan}`, READER_TOKEN)).body.sweeps as SweepView[];
  assert.deepEqual(
    ivans.map((x) => x.status),
    ['broadcast'],
  );
  assert.equal(j.failures.length, 1, j.failures.join('\n'));
  assert.match(j.failures[0]!, /^sweeps:31337: the appliance denied the sweep: sweep_only/);
});
