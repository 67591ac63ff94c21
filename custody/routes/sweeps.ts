// Sweeps: POST /v1/sweeps (operator: sweep one deposit address's native coin, or one token, to the
// chain's hot address, signed by the appliance through the bridge as the service's requester; see
// ledger/sweep.ts; an address derived from an HD xpub first has its key derived into the token by the
// configured admin, checked against the xpub's address), GET /v1/sweeps (filtered, one page at a time), and, when `jobs.sweepEveryMs` is
// set, a periodic job per chain (`sweeps:<chainId>`) that asks again for sweeps left in signing or
// pending approval and sweeps every deposit address holding a final native balance. Settlement (the
// `sweep` journal entry once the receipt is final) is the deposits job's, in the chain's order.
import { findCustodyAddresses } from '../../ledger/queries.js';
import { LedgerError } from '../../ledger/errors.js';
import { listHdDepositAddresses, type HdKeyDeriver } from '../../ledger/hd-deposits.js';
import { listSweeps, resumeSweeps, startSweep, type Sweep, type SweepContext, type SweepStatus } from '../../ledger/sweep.js';
import type { Db } from '../../ledger/db.js';
import { chainRuntimes, runtimeOf, type ChainRuntime } from '../chain-runtime.js';
import type { CustodyModule, ServiceContext } from '../module.js';
import { AUTH_PROBLEMS, bearer, decimal, ok, problems, queryParam, ref } from '../openapi.js';
import { ProblemError } from '../problem.js';
import { bodyText, jsonBody, listPage, queryEnum, queryText } from './context.js';
import { ADDRESS_RE, adminClient, AFTER_RE, CHAIN_RE, deviceIdOf, requesterClient, serviceOf, settingsOf } from './ledger-ops.js';

export const SWEEP_STATUSES: readonly SweepStatus[] = ['signing', 'pending_approval', 'denied', 'broadcast', 'settled', 'reverted'];

export const sweepView = (s: Sweep) => ({
  id: String(s.id),
  chainId: s.chainId.toString(),
  from: s.from,
  to: s.to,
  asset: s.asset,
  keyId: s.keyId,
  nonce: s.nonce.toString(),
  amount: s.amount.toString(),
  gasLimit: s.gasLimit.toString(),
  maxFeePerGas: s.maxFeePerGas.toString(),
  maxPriorityFeePerGas: s.maxPriorityFeePerGas.toString(),
  requestId: s.requestId,
  status: s.status,
  reasons: s.reasons ?? [],
  auditSeq: s.auditSeq ?? null,
  txHash: s.txHash ?? null,
  blockNumber: s.blockNumber?.toString() ?? null,
  fee: s.fee?.toString() ?? null,
  entryId: s.entryId === undefined ? null : String(s.entryId),
});

/** The sweeping context of a chain: the requester's bridge client and principal, the device id. */
async function sweepContext(svc: ServiceContext, rt: ChainRuntime): Promise<SweepContext> {
  const bridge = requesterClient(svc);
  const deviceId = await deviceIdOf(svc, bridge);
  // The admin derives an HD deposit address's key before its first sweep (asked only then: 503 without one).
  const hdKeys = async (): Promise<HdKeyDeriver> => {
    const { client, admin } = adminClient(svc);
    return { bridge: client, admin: admin.principal, deviceId, group: settingsOf(svc).depositGroup };
  };
  return { db: svc.db, bridge, requester: settingsOf(svc).requester, deviceId, chain: rt.chain, client: rt.client, hdKeys };
}

/** The chain's one hot address (a sweep names it when the chain has several). */
async function soleHot(db: Db, chainId: bigint): Promise<string> {
  const hot = await findCustodyAddresses(db, { chainId, role: 'hot' });
  if (hot.length !== 1) throw new ProblemError('bad_request', `chain ${chainId} has ${hot.length} hot addresses: name one in hotAddress`, { field: 'hotAddress' });
  return hot[0]!.address;
}

/** Refusals a periodic sweep expects (nothing there yet, no gas, one in flight): skipped, not failures. */
const EXPECTED: readonly string[] = ['nothing_to_sweep', 'needs_gas', 'sweep_in_flight'];

async function sweepAll(svc: ServiceContext, rt: ChainRuntime): Promise<void> {
  const ctx = await sweepContext(svc, rt);
  await resumeSweeps(ctx);
  // Keys the appliance made, and addresses derived from an HD xpub (their key is derived at the first sweep; not one refused).
  const hd = new Set((await listHdDepositAddresses(svc.db, rt.chain.chainId)).filter((h) => h.mismatch === undefined).map((h) => h.address));
  const deposits = (await findCustodyAddresses(svc.db, { chainId: rt.chain.chainId, role: 'deposit' })).filter((a) => a.keyId !== undefined || hd.has(a.address));
  if (deposits.length === 0) return;
  const hot = await soleHot(svc.db, rt.chain.chainId);
  // One address refused (a denial, the bridge down) does not stop the others; the first failure is the run's.
  let failure: unknown;
  for (const a of deposits) {
    try {
      await startSweep(ctx, { depositAddress: a.address, hotAddress: hot });
    } catch (err) {
      if (!(err instanceof LedgerError && EXPECTED.includes(err.code))) failure ??= err;
    }
  }
  if (failure !== undefined) throw failure;
}

const sweepSchema = {
  type: 'object',
  required: ['id', 'chainId', 'from', 'to', 'asset', 'nonce', 'amount', 'requestId', 'status'],
  properties: {
    id: decimal,
    chainId: decimal,
    from: { type: 'string', description: 'the deposit address' },
    to: { type: 'string', description: 'the hot address' },
    asset: { type: 'string' },
    keyId: { type: 'string' },
    nonce: decimal,
    amount: decimal,
    gasLimit: decimal,
    maxFeePerGas: decimal,
    maxPriorityFeePerGas: decimal,
    requestId: { type: 'string', description: 'the bridge request id (Idempotency-Key of the signing request)' },
    status: { type: 'string', enum: [...SWEEP_STATUSES] },
    reasons: { type: 'array', items: { type: 'string' }, description: 'the appliance’s reason codes when denied' },
    auditSeq: { type: ['integer', 'null'] },
    txHash: { type: ['string', 'null'] },
    blockNumber: { type: ['string', 'null'] },
    fee: { type: ['string', 'null'] },
    entryId: { type: ['string', 'null'], description: 'the sweep journal entry, once final' },
  },
};

export const sweepsModule: CustodyModule = {
  name: 'sweeps',
  routes(app, r) {
    app.post('/v1/sweeps', r.operators, async (c) => {
      const b = await jsonBody(c);
      for (const k of Object.keys(b)) if (!['chainId', 'depositAddress', 'hotAddress', 'token'].includes(k)) throw new ProblemError('bad_request', `unknown member "${k}"`, { field: k });
      const chainId = BigInt(bodyText(b, 'chainId', CHAIN_RE)!);
      const depositAddress = bodyText(b, 'depositAddress', ADDRESS_RE)!;
      const hotAddress = bodyText(b, 'hotAddress', ADDRESS_RE, true);
      const token = bodyText(b, 'token', ADDRESS_RE, true);
      const svc = serviceOf(r.service);
      const rt = runtimeOf(svc, chainId);
      const hot = hotAddress ?? (await soleHot(r.db, chainId));
      const ctx = await sweepContext(svc, rt);
      const s = await startSweep(ctx, { depositAddress, hotAddress: hot, ...(token === undefined ? {} : { token }) });
      return c.json(sweepView(s), 201);
    });
    app.get('/v1/sweeps', r.readers, async (c) => {
      const chainId = queryText(c, 'chainId', CHAIN_RE);
      const status = queryEnum(c, 'status', SWEEP_STATUSES);
      const address = queryText(c, 'address', ADDRESS_RE);
      const after = queryText(c, 'after', AFTER_RE);
      const page = await listPage(
        c,
        500,
        100,
        (limit) =>
          listSweeps(r.db, {
            limit,
            ...(chainId ? { chainId: BigInt(chainId) } : {}),
            ...(status ? { status } : {}),
            ...(address ? { from: address } : {}),
            ...(after ? { afterId: Number(after) } : {}),
          }),
        (s) => String(s.id),
      );
      return c.json({ sweeps: page.items.map(sweepView), next: page.next });
    });
  },
  jobs(svc) {
    const every = settingsOf(svc).jobs.sweepEveryMs;
    if (every === null) return [];
    return [...chainRuntimes(svc).values()].map((rt) => ({ name: `sweeps:${rt.chain.chainId}`, everyMs: every, run: () => sweepAll(svc, rt) }));
  },
  schemas: { Sweep: sweepSchema },
  paths: {
    '/v1/sweeps': {
      post: {
        operationId: 'startSweep',
        summary: 'Sweep one deposit address (its native coin, or one token) to the hot address, signed by the appliance',
        security: bearer('operator'),
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['chainId', 'depositAddress'],
                additionalProperties: false,
                properties: {
                  chainId: decimal,
                  depositAddress: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' },
                  hotAddress: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$', description: 'default: the chain’s one hot address' },
                  token: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$', description: 'an ERC-20 contract to sweep instead of the native coin' },
                },
              },
            },
          },
        },
        responses: {
          '201': ok('the sweep as recorded: broadcast, or pending_approval', ref('Sweep')),
          ...problems('bad_request', 'not_found', 'nothing_to_sweep', 'needs_gas', 'sweep_in_flight', 'sweep_refused', 'hd_key_mismatch', 'bridge_error', 'not_configured', ...AUTH_PROBLEMS),
        },
      },
      get: {
        operationId: 'listSweeps',
        summary: 'Sweeps in id order, filtered, one page at a time',
        security: bearer('reader', 'operator'),
        parameters: [
          queryParam('chainId', 'only this chain'),
          queryParam('status', 'only this status', { type: 'string', enum: [...SWEEP_STATUSES] }),
          queryParam('address', 'only sweeps from this deposit address'),
          queryParam('after', 'the cursor: `next` of the previous page'),
          queryParam('limit', '1 to 500, default 100', { type: 'integer', minimum: 1, maximum: 500 }),
        ],
        responses: {
          '200': ok('a page', { type: 'object', required: ['sweeps', 'next'], properties: { sweeps: { type: 'array', items: ref('Sweep') }, next: { type: ['string', 'null'] } } }),
          ...problems('bad_request', ...AUTH_PROBLEMS),
        },
      },
    },
  },
};
