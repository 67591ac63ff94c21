// The withdrawal API: POST /v1/withdrawals (requester; idempotent by the Idempotency-Key header: the
// same request twice is one withdrawal, 201 then 200; the key reused for another request is 422),
// GET /v1/withdrawals (filters: customer, state, chainId; cursor pages), GET /v1/withdrawals/{id} (with
// its attempts and its transition log), POST /v1/withdrawals/{id}/cancel (before broadcast at once;
// after it, a cancel transaction of 0 to self at the same nonce that the worker sends: 202), and
// GET /v1/withdrawal-events (every transition, after a cursor), and the operator's exception queue:
// GET /v1/withdrawal-exceptions and POST /v1/withdrawals/{id}/resolve (retry, fail, accept). Who asked is the token's name, kept in
// the transition log.
import { attemptsOf, type Attempt } from '../../orchestrator/attempt-store.js';
import { cancelRequestOf, cancelWithdrawal } from '../../orchestrator/cancel.js';
import { transitionEvents } from '../../orchestrator/events.js';
import { WITHDRAWAL_STATE_NAMES, WITHDRAWAL_STATES } from '../../orchestrator/states.js';
import { createWithdrawal, getWithdrawal, listWithdrawals, withdrawalHistory, type Withdrawal } from '../../orchestrator/withdrawal-store.js';
import { OrchestratorError } from '../../orchestrator/errors.js';
import { exceptionQueue, OPERATOR_ACTIONS, resolveWithdrawal, type OperatorAction } from '../../orchestrator/operator-actions.js';
import type { CustodyModule } from '../module.js';
import { withdrawalJobs } from '../orchestrator-runtime.js';
import { AUTH_PROBLEMS, bearer, decimal, ok, pathParam, problems, queryParam, ref } from '../openapi.js';
import { ProblemError } from '../problem.js';
import { bodyText, jsonBody, listPage, pageLimit, queryEnum, queryText, type Ctx } from './context.js';
import { OWNER_RE } from './balances.js';

const ID_RE = /^wd_[0-9a-f-]{36}$/;
const CHAIN_RE = /^[1-9][0-9]{0,18}$/;
const AMOUNT_RE = /^[1-9][0-9]{0,76}$/;
const ASSET_RE = /^[1-9][0-9]{0,19}:(native|erc20:0x[0-9a-f]{40})$/;
const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;
const CURSOR_RE = /^[0-9]{1,15}\.[0-9]{1,15}$/;
const NOTE_RE = /^\P{Cc}{1,500}$/u;

export const withdrawalView = (w: Withdrawal) => ({
  id: w.id,
  customer: w.customer,
  chainId: w.chainId.toString(),
  asset: w.asset,
  to: w.to,
  amount: w.amount.toString(),
  state: w.state,
  stateCode: WITHDRAWAL_STATES[w.state],
  traceId: w.traceId,
  from: w.from,
  travelRuleHash: w.travelRuleHash,
  requestedAt: w.requestedAt,
  createdBy: w.createdBy,
  updatedAt: w.updatedAt,
});

const attemptView = (a: Attempt) => ({
  id: a.id,
  nonce: a.nonce.toString(),
  kind: a.kind,
  state: a.state,
  txHash: a.txHash,
  maxFeePerGas: a.maxFeePerGas?.toString() ?? null,
  maxPriorityFeePerGas: a.maxPriorityFeePerGas?.toString() ?? null,
});

/** The Idempotency-Key header: a token of 1-200 printable characters, or an RFC 8941 quoted string of one. */
export function idempotencyKeyOf(c: Ctx): string {
  const raw = c.req.header('Idempotency-Key');
  const key = raw !== undefined && /^"[\x21\x23-\x5b\x5d-\x7e]{1,200}"$/.test(raw) ? raw.slice(1, -1) : raw;
  if (key === undefined || !/^[\x21-\x7e]{1,200}$/.test(key))
    throw new ProblemError('bad_request', 'the Idempotency-Key header (1-200 printable characters) is required', { field: 'Idempotency-Key' });
  return key;
}

function withdrawalId(c: Ctx): string {
  const id = c.req.param('id') ?? '';
  if (!ID_RE.test(id)) throw new ProblemError('bad_request', 'a withdrawal id is wd_ and a UUID', { field: 'id' });
  return id;
}

export interface WithdrawalsModuleOptions {
  /** The service's clock (the 24-hour limit counts from the request time). */
  now?: () => Date;
}

const withdrawalSchema = {
  type: 'object',
  required: ['id', 'customer', 'chainId', 'asset', 'to', 'amount', 'state', 'stateCode', 'traceId', 'requestedAt', 'createdBy'],
  properties: {
    id: { type: 'string' },
    customer: { type: 'string' },
    chainId: decimal,
    asset: { type: 'string' },
    to: { type: 'string' },
    amount: decimal,
    state: { type: 'string', enum: WITHDRAWAL_STATE_NAMES },
    stateCode: { type: 'string', description: 'seed 003 code: W0..W10, or WX-* off the happy path' },
    traceId: { type: 'string' },
    from: { type: ['string', 'null'] },
    travelRuleHash: { type: ['string', 'null'] },
    requestedAt: { type: 'string', format: 'date-time' },
    createdBy: { type: 'string' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
};

export function withdrawalsModule(o: WithdrawalsModuleOptions = {}): CustodyModule {
  const now = o.now ?? (() => new Date());
  return {
    name: 'withdrawals',
    jobs: withdrawalJobs,
    // Withdrawals by state (every state named, 0 when none); the state column is indexed.
    async gauges(db) {
      const rows = await db.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM orch_withdrawals GROUP BY state');
      const values: Record<string, number> = Object.fromEntries(WITHDRAWAL_STATE_NAMES.map((s) => [s, 0]));
      for (const row of rows.rows) values[row.state] = Number(row.n);
      return [{ name: 'custody_withdrawals', help: 'Withdrawals by state (read from the database at each scrape).', label: 'state', values }];
    },
    routes(app, r) {
      app.post('/v1/withdrawals', r.requireScope('requester', 'operator'), async (c) => {
        const key = idempotencyKeyOf(c);
        const b = await jsonBody(c);
        for (const k of Object.keys(b)) if (!['customer', 'chainId', 'asset', 'to', 'amount', 'travelRule'].includes(k)) throw new ProblemError('bad_request', `unknown member "${k}"`, { field: k });
        const created = await createWithdrawal(r.db, {
          idempotencyKey: key,
          customer: bodyText(b, 'customer', OWNER_RE)!,
          chainId: BigInt(bodyText(b, 'chainId', CHAIN_RE)!),
          asset: bodyText(b, 'asset', ASSET_RE)!,
          to: bodyText(b, 'to', ADDRESS_RE)!,
          amount: BigInt(bodyText(b, 'amount', AMOUNT_RE)!),
          actor: c.get('caller').name,
          at: now(),
          ...(b.travelRule === undefined ? {} : { travelRule: b.travelRule }),
        });
        return c.json(withdrawalView(created.withdrawal), created.duplicate ? 200 : 201);
      });
      app.get('/v1/withdrawals', r.readers, async (c) => {
        const customer = queryText(c, 'customer', OWNER_RE);
        const state = queryEnum(c, 'state', WITHDRAWAL_STATE_NAMES);
        const chainId = queryText(c, 'chainId', CHAIN_RE);
        const after = queryText(c, 'after', ID_RE);
        const page = await listPage(
          c,
          500,
          100,
          (limit) =>
            listWithdrawals(r.db, {
              limit,
              ...(customer ? { customer } : {}),
              ...(state ? { state } : {}),
              ...(chainId ? { chainId: BigInt(chainId) } : {}),
              ...(after ? { after } : {}),
            }),
          (w) => w.id,
        );
        return c.json({ withdrawals: page.items.map(withdrawalView), next: page.next });
      });
      app.get('/v1/withdrawals/:id', r.readers, async (c) => {
        const id = withdrawalId(c);
        const w = await getWithdrawal(r.db, id);
        if (w === null) throw new OrchestratorError('not_found', 'no such withdrawal', { withdrawalId: id });
        return c.json({ ...withdrawalView(w), cancelRequest: await cancelRequestOf(r.db, id), attempts: (await attemptsOf(r.db, id)).map(attemptView), history: await withdrawalHistory(r.db, id) });
      });
      app.post('/v1/withdrawals/:id/cancel', r.requireScope('requester', 'operator'), async (c) => {
        const id = withdrawalId(c);
        // An optional body: {"note": "why"}; an empty body is a cancel without a note.
        const b = await jsonBody(c, { optional: true });
        for (const k of Object.keys(b)) if (k !== 'note') throw new ProblemError('bad_request', `unknown member "${k}"`, { field: k });
        const note = bodyText(b, 'note', NOTE_RE, true);
        const done = await cancelWithdrawal(r.db, id, { actor: c.get('caller').name, ...(note === undefined ? {} : { note }) });
        // 202: the withdrawal was sent, so the cancel is a transaction the worker sends; it may still lose to the transfer.
        return c.json({ ...withdrawalView(done.withdrawal), cancelRequest: done.onChain }, done.onChain !== null && done.withdrawal.state !== 'cancelled' ? 202 : 200);
      });
      app.get('/v1/withdrawal-exceptions', r.readers, async (c) => {
        const after = queryText(c, 'after', ID_RE);
        const page = await listPage(
          c,
          500,
          100,
          (limit) => exceptionQueue(r.db, { limit, ...(after ? { after } : {}) }),
          (i) => i.withdrawal.id,
        );
        return c.json({ exceptions: page.items.map((i) => ({ ...withdrawalView(i.withdrawal), reason: i.reason })), next: page.next });
      });
      app.post('/v1/withdrawals/:id/resolve', r.operators, async (c) => {
        const id = withdrawalId(c);
        const b = await jsonBody(c);
        for (const k of Object.keys(b)) if (!['action', 'note'].includes(k)) throw new ProblemError('bad_request', `unknown member "${k}"`, { field: k });
        const action = b.action;
        if (typeof action !== 'string' || !(OPERATOR_ACTIONS as readonly string[]).includes(action))
          throw new ProblemError('bad_request', `"action" is one of ${OPERATOR_ACTIONS.join(', ')}`, { field: 'action' });
        const note = typeof b.note === 'string' ? b.note : '';
        const w = await resolveWithdrawal(r.db, id, action as OperatorAction, { actor: c.get('caller').name, note });
        return c.json(withdrawalView(w));
      });
      app.get('/v1/withdrawal-events', r.readers, async (c) => {
        const after = queryText(c, 'after', CURSOR_RE) ?? '0.0';
        const [w, a] = after.split('.').map(Number) as [number, number];
        const { events, next } = await transitionEvents(r.db, { withdrawal: w, attempt: a }, pageLimit(c, 1000, 100));
        return c.json({ events, next: `${next.withdrawal}.${next.attempt}` });
      });
    },
    schemas: {
      Withdrawal: withdrawalSchema,
      CancelRequest: {
        type: ['object', 'null'],
        description: 'who asked to cancel the withdrawal after it was sent (null: nobody)',
        required: ['actor', 'note', 'at'],
        properties: { actor: { type: 'string' }, note: { type: ['string', 'null'] }, at: { type: 'string', format: 'date-time' } },
      },
    },
    paths: {
      '/v1/withdrawals': {
        post: {
          operationId: 'createWithdrawal',
          summary: 'Ask for a withdrawal (idempotent by the Idempotency-Key header)',
          security: bearer('requester', 'operator'),
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: true, schema: { type: 'string' }, description: 'a token, or an RFC 8941 quoted string' }],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['customer', 'chainId', 'asset', 'to', 'amount'],
                  additionalProperties: false,
                  properties: {
                    customer: { type: 'string' },
                    chainId: decimal,
                    asset: { type: 'string', description: '"<chainId>:native" or "<chainId>:erc20:0x<token, lower case>"' },
                    to: { type: 'string', pattern: '^0x[0-9a-fA-F]{40}$' },
                    amount: decimal,
                    travelRule: { type: 'object', description: 'IVMS101 originator and beneficiary; required above the configured threshold' },
                  },
                },
              },
            },
          },
          responses: {
            '201': ok('created', ref('Withdrawal')),
            '200': ok('the same request again: the withdrawal it made', ref('Withdrawal')),
            ...problems('bad_request', 'idempotency_conflict', ...AUTH_PROBLEMS),
          },
        },
        get: {
          operationId: 'listWithdrawals',
          summary: 'Withdrawals in creation order, filtered, one page at a time',
          security: bearer('reader', 'operator'),
          parameters: [
            queryParam('customer', 'only this customer'),
            queryParam('state', 'only this state', { type: 'string', enum: WITHDRAWAL_STATE_NAMES }),
            queryParam('chainId', 'only this chain'),
            queryParam('after', 'the cursor: a withdrawal id from `next`'),
            queryParam('limit', '1 to 500, default 100', { type: 'integer', minimum: 1, maximum: 500 }),
          ],
          responses: {
            '200': ok('a page', { type: 'object', required: ['withdrawals', 'next'], properties: { withdrawals: { type: 'array', items: ref('Withdrawal') }, next: { type: ['string', 'null'] } } }),
            ...problems('bad_request', ...AUTH_PROBLEMS),
          },
        },
      },
      '/v1/withdrawals/{id}': {
        get: {
          operationId: 'getWithdrawal',
          summary: 'A withdrawal with its attempts and its transition log',
          security: bearer('reader', 'operator'),
          parameters: [pathParam('id', 'the withdrawal id')],
          responses: {
            '200': ok('the withdrawal', {
              allOf: [
                ref('Withdrawal'),
                { type: 'object', properties: { cancelRequest: ref('CancelRequest'), attempts: { type: 'array', items: { type: 'object' } }, history: { type: 'array', items: { type: 'object' } } } },
              ],
            }),
            ...problems('bad_request', 'not_found', ...AUTH_PROBLEMS),
          },
        },
      },
      '/v1/withdrawals/{id}/cancel': {
        post: {
          operationId: 'cancelWithdrawal',
          summary: 'Cancel a withdrawal',
          description:
            'Before broadcast the withdrawal is cancelled at once and its reservation returns to Available (200). Once sent, the cancel is a transaction of its own: 0 to the hot address itself at the same nonce with fees at least 10% higher, signed by the appliance and sent by the worker (202, `cancelRequest` says who asked). Whichever transaction the chain includes wins: the cancel, once final, moves the withdrawal to `cancelled` and its Pending back to Available; the transfer completes it as usual. After an attempt is included the cancel is refused (409 illegal_transition).',
          security: bearer('requester', 'operator'),
          parameters: [pathParam('id', 'the withdrawal id')],
          requestBody: {
            required: false,
            content: {
              'application/json': {
                schema: { type: 'object', additionalProperties: false, properties: { note: { type: 'string', minLength: 1, maxLength: 500, description: 'why, kept in the transition log' } } },
              },
            },
          },
          responses: {
            '200': ok('cancelled', { allOf: [ref('Withdrawal'), { type: 'object', properties: { cancelRequest: ref('CancelRequest') } }] }),
            '202': ok('sent already: the cancel transaction is on its way', { allOf: [ref('Withdrawal'), { type: 'object', properties: { cancelRequest: ref('CancelRequest') } }] }),
            ...problems('bad_request', 'not_found', 'illegal_transition', ...AUTH_PROBLEMS),
          },
        },
      },
      '/v1/withdrawal-exceptions': {
        get: {
          operationId: 'listWithdrawalExceptions',
          summary: "The operator's exception queue: withdrawals waiting for a decision, with the exception that put each there",
          security: bearer('reader', 'operator'),
          parameters: [queryParam('after', 'the cursor: a withdrawal id from `next`'), queryParam('limit', '1 to 500, default 100', { type: 'integer', minimum: 1, maximum: 500 })],
          responses: {
            '200': ok('a page', {
              type: 'object',
              required: ['exceptions', 'next'],
              properties: { exceptions: { type: 'array', items: { allOf: [ref('Withdrawal'), { type: 'object', properties: { reason: {} } }] } }, next: { type: ['string', 'null'] } },
            }),
            ...problems('bad_request', ...AUTH_PROBLEMS),
          },
        },
      },
      '/v1/withdrawals/{id}/resolve': {
        post: {
          operationId: 'resolveWithdrawal',
          summary: "An operator's decision on a withdrawal in the exception queue: retry, fail (funds back to Available), or accept the chain's outcome",
          security: bearer('operator'),
          parameters: [pathParam('id', 'the withdrawal id')],
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['action', 'note'],
                  additionalProperties: false,
                  properties: { action: { type: 'string', enum: [...OPERATOR_ACTIONS] }, note: { type: 'string', maxLength: 500 } },
                },
              },
            },
          },
          responses: { '200': ok('the withdrawal after the decision', ref('Withdrawal')), ...problems('bad_request', 'not_found', 'illegal_transition', ...AUTH_PROBLEMS) },
        },
      },
      '/v1/withdrawal-events': {
        get: {
          operationId: 'listWithdrawalEvents',
          summary: 'Every transition of withdrawals and their attempts, after a cursor',
          security: bearer('reader', 'operator'),
          parameters: [
            queryParam('after', 'the cursor from `next` ("<withdrawal seq>.<attempt seq>"); default 0.0'),
            queryParam('limit', '1 to 1000 per log, default 100', { type: 'integer', minimum: 1, maximum: 1000 }),
          ],
          responses: {
            '200': ok('events', { type: 'object', required: ['events', 'next'], properties: { events: { type: 'array', items: { type: 'object' } }, next: { type: 'string' } } }),
            ...problems('bad_request', ...AUTH_PROBLEMS),
          },
        },
      },
    },
  };
}
