// Deposits: a periodic job per configured chain (`deposits:<chainId>`) that brings the ledger up to the
// chain (the watcher's steps up to the final block, then the sweeps settled up to that block; see
// custody/chain-runtime.ts), POST /v1/customers/{customer}/deposit-addresses (operator: the appliance
// makes a key in the deposit group through the bridge, with the configured admin's token and stamp,
// and its address is registered as the customer's deposit address; on a chain with `hdDeposits`, the
// next address is derived from the HD account's xpub, read once, with no appliance call) and GET /v1/deposits (the deposits
// the watcher saw, filtered, one page at a time).
import { defaultDepositLabel, KEY_LABEL_RE, provisionDepositAddress } from '../../ledger/deposit-addresses.js';
import { allocateHdDepositAddress, ensureAccountXpub, type HdDepositAddress } from '../../ledger/hd-deposits.js';
import { DEPOSIT_STATUSES, pageDeposits, type Deposit } from '../../ledger/deposits.js';
import { chainRuntimes, runtimeOf } from '../chain-runtime.js';
import type { CustodyModule } from '../module.js';
import { AUTH_PROBLEMS, bearer, decimal, ok, pathParam, problems, queryParam, ref } from '../openapi.js';
import { ProblemError } from '../problem.js';
import { addressView } from '../views.js';
import { bodyText, jsonBody, listPage, queryEnum, queryText } from './context.js';
import { OWNER_RE } from './balances.js';
import { ADDRESS_RE, AFTER_RE, adminClient, CHAIN_RE, deviceIdOf, serviceOf, settingsOf } from './ledger-ops.js';

export const depositView = (d: Deposit) => ({
  id: String(d.id),
  chainId: d.chainId.toString(),
  txHash: d.txHash,
  logIndex: d.logIndex,
  blockNumber: d.blockNumber.toString(),
  blockHash: d.blockHash,
  from: d.from,
  to: d.to,
  asset: d.asset,
  amount: d.amount.toString(),
  customer: d.customer,
  status: d.status,
  inclusionEntryId: d.inclusionEntryId === null ? null : String(d.inclusionEntryId),
  finalityEntryId: d.finalityEntryId === null ? null : String(d.finalityEntryId),
  reversalEntryId: d.reversalEntryId === null ? null : String(d.reversalEntryId),
});

/** Where an HD deposit address comes from, and its key once the appliance derived it for a sweep. */
export const hdView = (h: HdDepositAddress) => ({
  walletId: h.walletId,
  account: h.account,
  index: h.index,
  path: h.path,
  keyId: h.keyId ?? null,
  ...(h.mismatch === undefined ? {} : { mismatch: h.mismatch }),
});

const hdSchema = {
  type: 'object',
  description: 'present when the chain derives deposit addresses from an HD account (config chains[].hdDeposits)',
  required: ['walletId', 'account', 'index', 'path', 'keyId'],
  properties: {
    walletId: { type: 'string' },
    account: { type: 'integer', minimum: 0 },
    index: { type: 'integer', minimum: 0, description: "i in m/44'/60'/a'/0/i, allocated once by the ledger" },
    path: { type: 'string', description: "m/44'/60'/a'/0/i" },
    keyId: { type: ['string', 'null'], description: 'the appliance key, once derived into the token before the first sweep' },
    mismatch: { type: 'string', description: 'why the appliance’s derived key was refused (its address differed from the xpub’s)' },
  },
};

const entryRef = { type: ['string', 'null'], pattern: '^[1-9][0-9]*$' };
const depositSchema = {
  type: 'object',
  required: ['id', 'chainId', 'txHash', 'logIndex', 'blockNumber', 'blockHash', 'from', 'to', 'asset', 'amount', 'customer', 'status'],
  properties: {
    id: decimal,
    chainId: decimal,
    txHash: { type: 'string' },
    logIndex: { type: 'integer', description: 'the Transfer log index, or -1 for the transaction’s own value' },
    blockNumber: decimal,
    blockHash: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string', description: 'the deposit address' },
    asset: { type: 'string' },
    amount: decimal,
    customer: { type: 'string' },
    status: { type: 'string', enum: [...DEPOSIT_STATUSES] },
    inclusionEntryId: entryRef,
    finalityEntryId: entryRef,
    reversalEntryId: entryRef,
  },
};

export const depositsModule: CustodyModule = {
  name: 'deposits',
  routes(app, r) {
    app.post('/v1/customers/:customer/deposit-addresses', r.operators, async (c) => {
      const customer = c.req.param('customer') ?? '';
      if (!OWNER_RE.test(customer)) throw new ProblemError('bad_request', 'a customer is 1-128 of A-Z a-z 0-9 . _ @ -', { field: 'customer' });
      const b = await jsonBody(c);
      for (const k of Object.keys(b)) if (!['chainId', 'label'].includes(k)) throw new ProblemError('bad_request', `unknown member "${k}"`, { field: k });
      const chainId = BigInt(bodyText(b, 'chainId', CHAIN_RE)!);
      const label = bodyText(b, 'label', KEY_LABEL_RE, true);
      const svc = serviceOf(r.service);
      const rt = runtimeOf(svc, chainId);
      const { client, admin } = adminClient(svc);
      const hdAccount = rt.chain.hdDeposits;
      if (hdAccount !== undefined) {
        // HD mode: the xpub read once (the first time only), then the address derived here, no appliance call.
        await ensureAccountXpub(r.db, hdAccount, () => client.hdAccountXpub(hdAccount.walletId, hdAccount.account));
        const made = await allocateHdDepositAddress(r.db, {
          ...hdAccount,
          chainId,
          customer,
          group: settingsOf(svc).depositGroup,
          label: label ?? defaultDepositLabel(customer),
        });
        return c.json({ ...addressView(made.address), hd: hdView(made.hd) }, 201);
      }
      const address = await provisionDepositAddress(r.db, {
        bridge: client,
        admin: admin.principal,
        deviceId: await deviceIdOf(svc, client),
        chainId,
        customer,
        group: settingsOf(svc).depositGroup,
        ...(label === undefined ? {} : { label }),
      });
      return c.json(addressView(address), 201);
    });
    app.get('/v1/deposits', r.readers, async (c) => {
      const chainId = queryText(c, 'chainId', CHAIN_RE);
      const customer = queryText(c, 'customer', OWNER_RE);
      const status = queryEnum(c, 'status', DEPOSIT_STATUSES);
      const address = queryText(c, 'address', ADDRESS_RE);
      const after = queryText(c, 'after', AFTER_RE);
      const page = await listPage(
        c,
        500,
        100,
        (limit) =>
          pageDeposits(r.db, {
            limit,
            ...(chainId ? { chainId: BigInt(chainId) } : {}),
            ...(customer ? { customer } : {}),
            ...(status ? { status } : {}),
            ...(address ? { to: address } : {}),
            ...(after ? { afterId: Number(after) } : {}),
          }),
        (d) => String(d.id),
      );
      return c.json({ deposits: page.items.map(depositView), next: page.next });
    });
  },
  jobs(svc) {
    const every = settingsOf(svc).jobs.depositsEveryMs;
    return [...chainRuntimes(svc).values()].map((rt) => ({
      name: `deposits:${rt.chain.chainId}`,
      everyMs: every,
      runAtStart: true,
      run: async ({ signal }) => {
        await rt.deposits(signal);
      },
    }));
  },
  schemas: { Deposit: depositSchema, HdDepositAddress: hdSchema },
  paths: {
    '/v1/customers/{customer}/deposit-addresses': {
      post: {
        operationId: 'createDepositAddress',
        summary:
          'A new deposit address for the customer: a key made by the appliance in the deposit group, or (a chain with hdDeposits) the next address derived from the HD account’s xpub with no appliance call; registered with role deposit',
        security: bearer('operator'),
        parameters: [pathParam('customer', 'the customer the address credits')],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['chainId'],
                additionalProperties: false,
                properties: {
                  chainId: decimal,
                  label: { type: 'string', pattern: KEY_LABEL_RE.source, description: 'the key label (default dep-<customer>, a character outside the pattern as _)' },
                },
              },
            },
          },
        },
        responses: {
          '201': ok('the registered deposit address (in HD mode with `hd`: its path; no key yet)', { allOf: [ref('CustodyAddress'), { type: 'object', properties: { hd: ref('HdDepositAddress') } }] }),
          ...problems('bad_request', 'bad_entry', 'not_found', 'address_taken', 'hd_key_mismatch', 'bridge_error', 'not_configured', ...AUTH_PROBLEMS),
        },
      },
    },
    '/v1/deposits': {
      get: {
        operationId: 'listDeposits',
        summary: 'Deposits the chain watcher saw, in row order, filtered, one page at a time',
        security: bearer('reader', 'operator'),
        parameters: [
          queryParam('chainId', 'only this chain'),
          queryParam('customer', 'only this customer'),
          queryParam('status', 'only this status', { type: 'string', enum: [...DEPOSIT_STATUSES] }),
          queryParam('address', 'only deposits to this deposit address'),
          queryParam('after', 'the cursor: `next` of the previous page'),
          queryParam('limit', '1 to 500, default 100', { type: 'integer', minimum: 1, maximum: 500 }),
        ],
        responses: {
          '200': ok('a page', { type: 'object', required: ['deposits', 'next'], properties: { deposits: { type: 'array', items: ref('Deposit') }, next: { type: ['string', 'null'] } } }),
          ...problems('bad_request', ...AUTH_PROBLEMS),
        },
      },
    },
  },
};
