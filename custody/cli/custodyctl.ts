#!/usr/bin/env node
// custodyctl: the operator's command line for the custody service. Reads balances, journal entries and
// the custody-address registry over the HTTP API, drives deposits, sweeps and reconciliation
// (custody/cli/ledger-commands.ts), checks the journal by replay (over the API, or offline
// on a stopped service's data folder), makes API tokens, and runs the service (`serve`). The URL comes
// from --url, then $CUSTODY_URL; the token from --token-file, then $CUSTODY_TOKEN (never from argv).
// Exit codes: 0 done, 1 replay found a mismatch, 2 the command failed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LedgerError } from '../../ledger/errors.js';
import { CUSTODY_SCOPES, makeToken, type CustodyScope } from '../auth.js';
import { CustodyConfigError } from '../config.js';
import { ProblemError } from '../problem.js';
import { replayReport, type ReplayReport } from '../routes/replay.js';
import { callApi, CliError, serviceToken, serviceUrl, type ClientOptions } from './client.js';
import { API_OPTIONS, API_USAGE, out, query, say, type Command, type Values } from './command.js';
import { LEDGER_OPS_COMMANDS } from './ledger-commands.js';

function printReplay(r: ReplayReport, where: string): number {
  out(r);
  if (r.consistent) {
    say(`replay of ${r.entries} entries reproduces every stored balance (${where})`);
    return 0;
  }
  say(r.corrupt ? `replay stopped at a corrupt entry: ${r.corrupt.detail} (${where})` : `replay differs from the stored balances in ${r.differences.length} place(s) (${where})`);
  return 1;
}

const COMMANDS: Record<string, Command> = {
  balances: {
    summary: 'balances (all four states) of the accounts matching the filters',
    usage: `custodyctl balances [--customer ID] [--kind customer|custody|fees|suspense] [--asset ASSET] ${API_USAGE}`,
    options: { customer: { type: 'string' }, kind: { type: 'string' }, asset: { type: 'string' } },
    api: true,
    async run(v, _p, client) {
      out(await callApi(client(), 'GET', `/v1/ledger/balances${query({ customer: v.customer, kind: v.kind, asset: v.asset })}`));
      return 0;
    },
  },
  account: {
    summary: "one account's balances, by id (kind/owner/asset)",
    usage: `custodyctl account ACCOUNT_ID ${API_USAGE}`,
    options: {},
    api: true,
    async run(_v, p, client) {
      const id = p[0];
      if (id === undefined) throw new CliError('give the account id: custodyctl account customer/alice/1:native');
      out(await callApi(client(), 'GET', `/v1/ledger/accounts/${encodeURIComponent(id)}`));
      return 0;
    },
  },
  entries: {
    summary: 'journal entries in id order, filtered; one page (--after, --limit) or --all pages',
    usage: `custodyctl entries [--account ID] [--kind KIND] [--trace-id ID] [--after CURSOR] [--limit N] [--all] ${API_USAGE}`,
    options: { account: { type: 'string' }, kind: { type: 'string' }, 'trace-id': { type: 'string' }, after: { type: 'string' }, limit: { type: 'string' }, all: { type: 'boolean' } },
    api: true,
    async run(v, _p, client) {
      const c = client();
      const filters = { account: v.account, kind: v.kind, traceId: v['trace-id'], limit: v.limit };
      if (!v.all) {
        out(await callApi(c, 'GET', `/v1/ledger/entries${query({ ...filters, after: v.after })}`));
        return 0;
      }
      const entries: unknown[] = [];
      let after = typeof v.after === 'string' ? v.after : undefined;
      for (;;) {
        const page = (await callApi(c, 'GET', `/v1/ledger/entries${query({ ...filters, after })}`)) as { entries: unknown[]; next: string | null };
        entries.push(...page.entries);
        if (page.next === null) break;
        after = page.next;
      }
      out({ entries, next: null });
      return 0;
    },
  },
  entry: {
    summary: 'one journal entry with its lines',
    usage: `custodyctl entry ID ${API_USAGE}`,
    options: {},
    api: true,
    async run(_v, p, client) {
      const id = p[0];
      if (id === undefined) throw new CliError('give the entry id: custodyctl entry 42');
      out(await callApi(client(), 'GET', `/v1/ledger/entries/${encodeURIComponent(id)}`));
      return 0;
    },
  },
  addresses: {
    summary: 'registered custody addresses (hot and deposit)',
    usage: `custodyctl addresses [--chain-id ID] [--role hot|deposit] [--customer ID] ${API_USAGE}`,
    options: { 'chain-id': { type: 'string' }, role: { type: 'string' }, customer: { type: 'string' } },
    api: true,
    async run(v, _p, client) {
      out(await callApi(client(), 'GET', `/v1/custody-addresses${query({ chainId: v['chain-id'], role: v.role, customer: v.customer })}`));
      return 0;
    },
  },
  'add-hot-address': {
    summary: "register a key group's hot address (operator token)",
    usage: `custodyctl add-hot-address --chain-id ID --address 0x… [--key-id ID] [--key-group NAME] ${API_USAGE}`,
    options: { 'chain-id': { type: 'string' }, address: { type: 'string' }, 'key-id': { type: 'string' }, 'key-group': { type: 'string' } },
    api: true,
    async run(v, _p, client) {
      if (typeof v['chain-id'] !== 'string' || typeof v.address !== 'string') throw new CliError('give --chain-id and --address');
      const body: Record<string, string> = { chainId: v['chain-id'], address: v.address };
      if (typeof v['key-id'] === 'string') body.keyId = v['key-id'];
      if (typeof v['key-group'] === 'string') body.keyGroup = v['key-group'];
      out(await callApi(client(), 'POST', '/v1/custody-addresses', body));
      return 0;
    },
  },
  replay: {
    summary: 'recompute every balance from the journal and compare with the stored ones (exit 1 on a mismatch); --data DIR checks a stopped service’s data folder directly',
    usage: `custodyctl replay [--data DIR] ${API_USAGE}`,
    options: { data: { type: 'string' } },
    async run(v, _p, client) {
      if (typeof v.data === 'string') {
        // PGlite would make an empty database in a folder that holds none: refuse instead of reporting "consistent".
        if (!existsSync(join(v.data, 'PG_VERSION'))) throw new CliError(`${v.data} holds no ledger database (no PG_VERSION)`);
        const { openLedgerDb } = await import('../../ledger/open-ledger.js');
        const db = await openLedgerDb(v.data);
        try {
          return printReplay(await replayReport(db), `offline, ${v.data}`);
        } finally {
          await db.close();
        }
      }
      const c = client();
      return printReplay((await callApi(c, 'GET', '/v1/ledger/replay')) as ReplayReport, c.url);
    },
  },
  token: {
    summary: "make an API token: prints it once, with the record to add to the config's tokens",
    usage: `custodyctl token --name NAME --scope ${CUSTODY_SCOPES.join('|')} [--scope …]`,
    options: { name: { type: 'string' }, scope: { type: 'string', multiple: true } },
    async run(v) {
      const scopes = (Array.isArray(v.scope) ? v.scope : []) as string[];
      if (typeof v.name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(v.name)) throw new CliError('give --name (1-64 of A-Z a-z 0-9 . _ -)');
      if (scopes.length === 0) throw new CliError(`give at least one --scope (${CUSTODY_SCOPES.join(', ')})`);
      for (const s of scopes) if (!(CUSTODY_SCOPES as readonly string[]).includes(s)) throw new CliError(`unknown scope "${s}" (${CUSTODY_SCOPES.join(', ')})`);
      const { token, record } = makeToken(v.name, scopes as CustodyScope[]);
      out({ token, record });
      say('the token is shown this once; put the record in the config\'s "tokens" and the token where the caller reads it');
      return 0;
    },
  },
  serve: {
    summary: 'run the custody service in the foreground (Ctrl-C or SIGTERM stops it)',
    usage: 'custodyctl serve [--config FILE]   (else $CUSTODY_CONFIG)',
    options: { config: { type: 'string' } },
    async run(v) {
      // The service's modules (HTTP server, jobs, chain clients) load here only: every other command
      // starts without them, about a second of CPU less per call (the tests run custodyctl ~40 times).
      const { configPath, startFromFile } = await import('../main.js');
      const svc = await startFromFile(configPath(typeof v.config === 'string' ? v.config : undefined));
      say(`custody service on ${svc.url}`);
      await new Promise<void>((resolve) => {
        const stop = () => void svc.close().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      say('stopped');
      return 0;
    },
  },
  ...LEDGER_OPS_COMMANDS,
};

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'custodyctl: the custody service from the command line',
    '',
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(width)}  ${c.summary}`),
    '',
    'custodyctl COMMAND --help shows its options. URL: --url, then $CUSTODY_URL (default http://127.0.0.1:8090).',
    'Token: --token-file FILE, then $CUSTODY_TOKEN. Exit codes: 0 done, 1 replay mismatch, 2 failed.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) throw new CliError(`unknown command "${name}"; custodyctl --help lists them`);
  const withApi = cmd.api || name === 'replay';
  const { values, positionals } = parseArgs({ args: rest, options: { ...cmd.options, ...(withApi ? API_OPTIONS : {}), help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  if (values.help) {
    process.stdout.write(`${cmd.summary}\n\nusage: ${cmd.usage}\n`);
    return 0;
  }
  const v = values as Values;
  const client = (): ClientOptions => ({ url: serviceUrl(typeof v.url === 'string' ? v.url : undefined), token: serviceToken(typeof v['token-file'] === 'string' ? v['token-file'] : undefined) });
  return cmd.run(v, positionals, client);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof CliError || err instanceof CustodyConfigError) say(err.message);
    else if (err instanceof LedgerError || err instanceof ProblemError) say(`${err.code}: ${err.message}`);
    else if ((err as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (err as { code?: unknown }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE')
      say(`${(err as Error).message}; --help lists the options`);
    else say(err instanceof Error ? `${err.name}: ${err.message}` : 'failed');
    process.exitCode = 2;
  },
);
