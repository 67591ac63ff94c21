// The custody-address registry: GET /v1/custody-addresses (filters: chainId, role, customer) and
// POST /v1/custody-addresses (operator: register a key group's hot address; idempotent, 201 when new,
// 200 when the same row was there; 409 address_taken when the address has another role or owner).
// Deposit addresses are registered by the service itself when it makes them, not through this route.
import { ADDRESS_ROLES, findCustodyAddress, registerCustodyAddress, type CustodyAddress } from '../../ledger/custody-addresses.js';
import { findCustodyAddresses } from '../../ledger/queries.js';
import type { CustodyModule } from '../module.js';
import { AUTH_PROBLEMS, bearer, ok, problems, queryParam, ref } from '../openapi.js';
import { ProblemError } from '../problem.js';
import { addressView } from '../views.js';
import { bodyText, jsonBody, queryEnum, queryText } from './context.js';
import { OWNER_RE } from './balances.js';

const CHAIN_RE = /^[1-9][0-9]{0,18}$/;
const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
const KEY_RE = /^[A-Za-z0-9._:-]{1,128}$/;

const addressSchema = {
  type: 'object',
  required: ['chainId', 'address', 'role'],
  properties: {
    chainId: { type: 'string', pattern: '^[1-9][0-9]*$' },
    address: { type: 'string', pattern: '^0x[0-9a-f]{40}$', description: 'lower case' },
    role: { type: 'string', enum: [...ADDRESS_ROLES] },
    customer: { type: 'string', description: 'the customer a deposit address credits' },
    keyId: { type: 'string' },
    keyGroup: { type: 'string' },
  },
};

export const custodyAddressesModule: CustodyModule = {
  name: 'custody-addresses',
  routes(app, r) {
    app.get('/v1/custody-addresses', r.readers, async (c) => {
      const chainId = queryText(c, 'chainId', CHAIN_RE);
      const role = queryEnum(c, 'role', ADDRESS_ROLES);
      const customer = queryText(c, 'customer', OWNER_RE);
      const list = await findCustodyAddresses(r.db, { ...(chainId ? { chainId: BigInt(chainId) } : {}), ...(role ? { role } : {}), ...(customer ? { customer } : {}) });
      return c.json({ addresses: list.map(addressView) });
    });
    app.post('/v1/custody-addresses', r.operators, async (c) => {
      const b = await jsonBody(c);
      for (const k of Object.keys(b))
        if (!['chainId', 'address', 'keyId', 'keyGroup'].includes(k))
          throw new ProblemError('bad_request', `unknown member "${k}" (this route registers hot addresses: chainId, address, keyId, keyGroup)`, { field: k });
      const a: CustodyAddress = { chainId: BigInt(bodyText(b, 'chainId', CHAIN_RE)!), address: bodyText(b, 'address', ADDRESS_RE)!.toLowerCase(), role: 'hot' };
      const keyId = bodyText(b, 'keyId', KEY_RE, true);
      const keyGroup = bodyText(b, 'keyGroup', KEY_RE, true);
      if (keyId !== undefined) a.keyId = keyId;
      if (keyGroup !== undefined) a.keyGroup = keyGroup;
      const existed = (await findCustodyAddress(r.db, a.chainId, a.address)) !== null;
      const stored = await registerCustodyAddress(r.db, a);
      return c.json(addressView(stored), existed ? 200 : 201);
    });
  },
  schemas: { CustodyAddress: addressSchema },
  paths: {
    '/v1/custody-addresses': {
      get: {
        operationId: 'listCustodyAddresses',
        summary: 'Registered custody addresses (hot and deposit), by chain then address',
        security: bearer('reader', 'operator'),
        parameters: [
          queryParam('chainId', 'a chain id (decimal)'),
          queryParam('role', 'hot or deposit', { type: 'string', enum: [...ADDRESS_ROLES] }),
          queryParam('customer', "a customer's deposit addresses"),
        ],
        responses: {
          '200': ok('the addresses', { type: 'object', required: ['addresses'], properties: { addresses: { type: 'array', items: ref('CustodyAddress') } } }),
          ...problems('bad_request', ...AUTH_PROBLEMS),
        },
      },
      post: {
        operationId: 'registerHotAddress',
        summary: "Register a key group's hot address (idempotent)",
        security: bearer('operator'),
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                additionalProperties: false,
                required: ['chainId', 'address'],
                properties: {
                  chainId: { type: 'string', pattern: '^[1-9][0-9]*$' },
                  address: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' },
                  keyId: { type: 'string' },
                  keyGroup: { type: 'string' },
                },
              },
            },
          },
        },
        responses: {
          '200': ok('the address was registered already, as asked', ref('CustodyAddress')),
          '201': ok('registered', ref('CustodyAddress')),
          ...problems('bad_request', 'bad_entry', 'address_taken', 'body_too_large', ...AUTH_PROBLEMS),
        },
      },
    },
  },
};
