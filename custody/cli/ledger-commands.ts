// custodyctl's commands for deposits, sweeps and reconciliation (the custody service's deposits, sweeps
// and reconciliation modules): make a deposit address, list deposits and sweeps, sweep one address,
// reconcile now, read runs (JSON or the Markdown table), list and resolve exceptions, read the event
// outbox. Each is one API call; a refusal names the method, the URL and the problem (client.ts).
import { callApi, callText, CliError } from './client.js';
import { API_USAGE, out, query, type Command } from './command.js';

const need = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || v === '') throw new CliError(`give ${what}`);
  return v;
};

export const LEDGER_OPS_COMMANDS: Record<string, Command> = {
  'deposit-address': {
    summary: "make a customer's deposit address: the appliance generates the key (operator token)",
    usage: `custodyctl deposit-address --customer ID --chain-id ID [--label TEXT] ${API_USAGE}`,
    options: { customer: { type: 'string' }, 'chain-id': { type: 'string' }, label: { type: 'string' } },
    api: true,
    async run(v, _p, client) {
      const customer = need(v.customer, '--customer');
      const body: Record<string, string> = { chainId: need(v['chain-id'], '--chain-id') };
      if (typeof v.label === 'string') body.label = v.label;
      out(await callApi(client(), 'POST', `/v1/customers/${encodeURIComponent(customer)}/deposit-addresses`, body));
      return 0;
    },
  },
  deposits: {
    summary: 'deposits the chain watcher saw, filtered, one page (--after, --limit)',
    usage: `custodyctl deposits [--chain-id ID] [--customer ID] [--status included|final|removed] [--address 0x…] [--after CURSOR] [--limit N] ${API_USAGE}`,
    options: { 'chain-id': { type: 'string' }, customer: { type: 'string' }, status: { type: 'string' }, address: { type: 'string' }, after: { type: 'string' }, limit: { type: 'string' } },
    api: true,
    async run(v, _p, client) {
      out(await callApi(client(), 'GET', `/v1/deposits${query({ chainId: v['chain-id'], customer: v.customer, status: v.status, address: v.address, after: v.after, limit: v.limit })}`));
      return 0;
    },
  },
  sweep: {
    summary: "sweep one deposit address to the chain's hot address, signed by the appliance (operator token)",
    usage: `custodyctl sweep --chain-id ID --address 0x… [--hot 0x…] [--token 0x…] ${API_USAGE}`,
    options: { 'chain-id': { type: 'string' }, address: { type: 'string' }, hot: { type: 'string' }, token: { type: 'string' } },
    api: true,
    async run(v, _p, client) {
      const body: Record<string, string> = { chainId: need(v['chain-id'], '--chain-id'), depositAddress: need(v.address, '--address') };
      if (typeof v.hot === 'string') body.hotAddress = v.hot;
      if (typeof v.token === 'string') body.token = v.token;
      out(await callApi(client(), 'POST', '/v1/sweeps', body));
      return 0;
    },
  },
  sweeps: {
    summary: 'sweeps, filtered, one page (--after, --limit)',
    usage: `custodyctl sweeps [--chain-id ID] [--status STATUS] [--address 0x…] [--after CURSOR] [--limit N] ${API_USAGE}`,
    options: { 'chain-id': { type: 'string' }, status: { type: 'string' }, address: { type: 'string' }, after: { type: 'string' }, limit: { type: 'string' } },
    api: true,
    async run(v, _p, client) {
      out(await callApi(client(), 'GET', `/v1/sweeps${query({ chainId: v['chain-id'], status: v.status, address: v.address, after: v.after, limit: v.limit })}`));
      return 0;
    },
  },
  reconcile: {
    summary: 'reconcile now: one chain, or every configured chain, at its final block (operator token)',
    usage: `custodyctl reconcile [--chain-id ID] ${API_USAGE}`,
    options: { 'chain-id': { type: 'string' } },
    api: true,
    async run(v, _p, client) {
      out(await callApi(client(), 'POST', '/v1/reconciliations', typeof v['chain-id'] === 'string' ? { chainId: v['chain-id'] } : {}));
      return 0;
    },
  },
  reconciliations: {
    summary: 'reconciliation runs (without their rows), one page (--after, --limit)',
    usage: `custodyctl reconciliations [--chain-id ID] [--after CURSOR] [--limit N] ${API_USAGE}`,
    options: { 'chain-id': { type: 'string' }, after: { type: 'string' }, limit: { type: 'string' } },
    api: true,
    async run(v, _p, client) {
      out(await callApi(client(), 'GET', `/v1/reconciliations${query({ chainId: v['chain-id'], after: v.after, limit: v.limit })}`));
      return 0;
    },
  },
  reconciliation: {
    summary: 'one reconciliation run with its rows: JSON, or the Markdown table with --markdown',
    usage: `custodyctl reconciliation ID [--markdown] ${API_USAGE}`,
    options: { markdown: { type: 'boolean' } },
    api: true,
    async run(v, p, client) {
      const id = need(p[0], 'the run id: custodyctl reconciliation 3');
      const path = `/v1/reconciliations/${encodeURIComponent(id)}`;
      if (v.markdown) process.stdout.write(await callText(client(), path, 'text/markdown'));
      else out(await callApi(client(), 'GET', path));
      return 0;
    },
  },
  exceptions: {
    summary: 'the reconciliation exception queue, filtered, one page (--after, --limit)',
    usage: `custodyctl exceptions [--status open|resolved] [--kind unknown_inflow|missing_outflow] [--chain-id ID] [--address 0x…] [--asset ASSET] [--run ID] [--after CURSOR] [--limit N] ${API_USAGE}`,
    options: {
      status: { type: 'string' },
      kind: { type: 'string' },
      'chain-id': { type: 'string' },
      address: { type: 'string' },
      asset: { type: 'string' },
      run: { type: 'string' },
      after: { type: 'string' },
      limit: { type: 'string' },
    },
    api: true,
    async run(v, _p, client) {
      const q = query({ status: v.status, kind: v.kind, chainId: v['chain-id'], address: v.address, asset: v.asset, reconciliationId: v.run, after: v.after, limit: v.limit });
      out(await callApi(client(), 'GET', `/v1/reconciliation-exceptions${q}`));
      return 0;
    },
  },
  resolve: {
    summary: "resolve an open exception with a note; the token's name is recorded as who resolved it (operator token)",
    usage: `custodyctl resolve ID --note TEXT ${API_USAGE}`,
    options: { note: { type: 'string' } },
    api: true,
    async run(v, p, client) {
      const id = need(p[0], 'the exception id: custodyctl resolve 7 --note "…"');
      out(await callApi(client(), 'POST', `/v1/reconciliation-exceptions/${encodeURIComponent(id)}/resolve`, { note: need(v.note, '--note TEXT (why it is resolved)') }));
      return 0;
    },
  },
  events: {
    summary: "the ledger's event outbox after an id (breaks, resolutions)",
    usage: `custodyctl events [--after ID] [--limit N] ${API_USAGE}`,
    options: { after: { type: 'string' }, limit: { type: 'string' } },
    api: true,
    async run(v, _p, client) {
      out(await callApi(client(), 'GET', `/v1/ledger/events${query({ after: v.after, limit: v.limit })}`));
      return 0;
    },
  },
};
