// `hsmctl requests …`, `hsmctl whitelist …` and `hsmctl policy propose|approve|activate`: the
// operator's work on the bridge without curl. List and read pending requests and proposals (approver,
// admin or auditor token), approve one with a key file (the statement is read from the bridge, checked
// to be pending, signed and posted in one step, so nothing empty is ever posted), propose and remove
// whitelist entries and propose or activate a policy change (admin token). The URL and token come from
// bridge-connection.ts; every failure names the method and URL.
import { readFileSync } from 'node:fs';
import { ApplianceError } from '../protocol/errors.js';
import { readApproverKey } from './approver-key.js';
import { approveStatement } from './approver-statement.js';
import { callBridgeOrThrow, type BridgeAnswer } from './bridge-connection.js';

type Values = Record<string, string | boolean | string[] | undefined>;
interface CliSub {
  summary: string;
  usage: string;
  options: Record<string, { type: 'string' | 'boolean'; default?: string | boolean; multiple?: boolean }>;
  run(v: Values, positionals: string[]): Promise<void>;
}

const CONNECTION = { url: { type: 'string' as const }, 'token-file': { type: 'string' as const } };
const CONN_USAGE = '[--url URL] [--token-file FILE]';

const need = (v: Values, k: string, what: string): string => {
  const x = v[k];
  if (typeof x !== 'string' || x.length === 0) throw new ApplianceError('bad_request', `--${k} ${what} is required`);
  return x;
};

const positional = (p: string[], what: string, usage: string): string => {
  const x = p[0];
  if (!x) throw new ApplianceError('bad_request', `${what} is required: ${usage}`);
  return x;
};

const query = (pairs: Record<string, unknown>): string => {
  const q = Object.entries(pairs).filter(([, x]) => typeof x === 'string' && x !== '') as [string, string][];
  return q.length ? `?${new URLSearchParams(q).toString()}` : '';
};

export function bridgeSubs(io: { out: (x: unknown) => void; say: (m: string) => void }): Record<string, CliSub> {
  const { out, say } = io;

  /** Calls the bridge; a 4xx/5xx answer is a typed error naming the URL (the bridge's own code when it gave one). */
  const call = (v: Values, method: string, path: string, body?: unknown): Promise<BridgeAnswer> => callBridgeOrThrow(v, method, path, body);

  /** Reads what to approve at `path`, signs its statement (refused unless pending) and posts it to `path`/approvals. */
  async function approve(v: Values, path: string): Promise<void> {
    const key = readApproverKey(need(v, 'key', 'FILE'));
    const ttl = Number(v.ttl);
    if (!Number.isSafeInteger(ttl) || ttl <= 0) throw new ApplianceError('bad_request', '--ttl must be a positive number of seconds');
    const current = await call(v, 'GET', path);
    const body = approveStatement(key, current.json, Math.floor(Date.now() / 1000) + ttl);
    const ans = await call(v, 'POST', `${path}/approvals`, body);
    out(ans.json);
    say(`approved as ${key.id}: now ${String(ans.json.status ?? `HTTP ${ans.status}`)}`);
  }

  return {
    'requests list': {
      summary: 'list the pending sign requests with what the appliance decoded (approver, admin or auditor token; a requester sees its own)',
      usage: `hsmctl requests list [--limit N] [--after REQUEST_ID] ${CONN_USAGE}`,
      options: { ...CONNECTION, limit: { type: 'string' }, after: { type: 'string' } },
      async run(v) {
        out((await call(v, 'GET', `/v1/requests${query({ limit: v.limit, after: v.after })}`)).json);
      },
    },
    'requests show': {
      summary: 'show one sign request: its state, intent digest, approvals and the statement approvers sign',
      usage: `hsmctl requests show REQUEST_ID ${CONN_USAGE}`,
      options: { ...CONNECTION },
      async run(v, p) {
        const id = positional(p, 'REQUEST_ID', this.usage);
        out((await call(v, 'GET', `/v1/requests/${encodeURIComponent(id)}`)).json);
      },
    },
    'requests approve': {
      summary: 'approve a pending sign request with an approver key file: reads it, signs its statement, posts the approval (approver token)',
      usage: `hsmctl requests approve REQUEST_ID --key FILE [--ttl 3600] ${CONN_USAGE}`,
      options: { ...CONNECTION, key: { type: 'string' }, ttl: { type: 'string', default: '3600' } },
      async run(v, p) {
        await approve(v, `/v1/requests/${encodeURIComponent(positional(p, 'REQUEST_ID', this.usage))}`);
      },
    },
    'whitelist list': {
      summary: 'list the whitelist entries with their holds, or (--proposals) the whitelist proposals with a status (pending by default)',
      usage: `hsmctl whitelist list [--limit N] [--offset N] [--proposals [--status pending|accepted|cancelled]] ${CONN_USAGE}`,
      options: { ...CONNECTION, limit: { type: 'string' }, offset: { type: 'string' }, proposals: { type: 'boolean' }, status: { type: 'string' } },
      async run(v) {
        if (v.status !== undefined && !v.proposals) throw new ApplianceError('bad_request', '--status lists proposals: give --proposals too');
        const path = v.proposals ? '/v1/whitelist/proposals' : '/v1/whitelist';
        out((await call(v, 'GET', `${path}${query({ status: v.status, limit: v.limit, offset: v.offset })}`)).json);
      },
    },
    'whitelist show': {
      summary: 'show one whitelist proposal: what it adds, its status, tally, hold and the statement admins sign',
      usage: `hsmctl whitelist show PROPOSAL_ID ${CONN_USAGE}`,
      options: { ...CONNECTION },
      async run(v, p) {
        out((await call(v, 'GET', `/v1/whitelist/proposals/${encodeURIComponent(positional(p, 'PROPOSAL_ID', this.usage))}`)).json);
      },
    },
    'whitelist propose': {
      summary: 'propose a whitelist entry (admin token); it needs the admin quorum (whitelist approve), then waits its hold',
      usage: `hsmctl whitelist propose --group GROUP --chain-id N --address 0x… [--label TEXT] ${CONN_USAGE}`,
      options: { ...CONNECTION, group: { type: 'string' }, 'chain-id': { type: 'string' }, address: { type: 'string' }, label: { type: 'string' } },
      async run(v) {
        const body = { group: need(v, 'group', 'GROUP'), chainId: need(v, 'chain-id', 'N'), address: need(v, 'address', '0x…'), ...(typeof v.label === 'string' ? { label: v.label } : {}) };
        const ans = await call(v, 'POST', '/v1/whitelist/proposals', body);
        out(ans.json);
        say(`proposal ${String(ans.json.proposalId)} needs ${String(ans.json.required)} admin approvals: hsmctl whitelist approve ${String(ans.json.proposalId)} --key ADMIN.key.json`);
      },
    },
    'whitelist approve': {
      summary: 'approve a pending whitelist proposal with an admin key file: reads it, signs its statement, posts the approval (admin token)',
      usage: `hsmctl whitelist approve PROPOSAL_ID --key FILE [--ttl 3600] ${CONN_USAGE}`,
      options: { ...CONNECTION, key: { type: 'string' }, ttl: { type: 'string', default: '3600' } },
      async run(v, p) {
        await approve(v, `/v1/whitelist/proposals/${encodeURIComponent(positional(p, 'PROPOSAL_ID', this.usage))}`);
      },
    },
    'whitelist remove': {
      summary: 'remove a whitelist entry at once (admin token); in every group unless --group',
      usage: `hsmctl whitelist remove --chain-id N --address 0x… [--group GROUP] ${CONN_USAGE}`,
      options: { ...CONNECTION, 'chain-id': { type: 'string' }, address: { type: 'string' }, group: { type: 'string' } },
      async run(v) {
        const path = `/v1/whitelist/${encodeURIComponent(need(v, 'chain-id', 'N'))}/${encodeURIComponent(need(v, 'address', '0x…'))}${query({ group: v.group })}`;
        out((await call(v, 'DELETE', path)).json);
      },
    },
    'policy propose': {
      summary: 'propose the next policy from a policy JSON file (admin token); it needs the admin quorum (policy approve), then its time lock unless it only tightens',
      usage: `hsmctl policy propose --file POLICY.json ${CONN_USAGE}   (version, parent hash and device id are filled in from the active policy)`,
      options: { ...CONNECTION, file: { type: 'string' } },
      async run(v) {
        const file = need(v, 'file', 'POLICY.json');
        let policy: unknown;
        try {
          policy = JSON.parse(readFileSync(file, 'utf8'));
        } catch (err) {
          throw new ApplianceError('bad_request', `--file ${file}: ${err instanceof Error ? err.message : String(err)}`);
        }
        const ans = await call(v, 'POST', '/v1/policy/proposals', { policy });
        out(ans.json);
        say(`proposal ${String(ans.json.proposalId)}: hsmctl policy approve ${String(ans.json.proposalId)} --key ADMIN.key.json (the proposer's own approval does not count)`);
      },
    },
    'policy approve': {
      summary: 'approve a pending policy proposal with an admin key file: reads it, signs its statement, posts the approval (admin token)',
      usage: `hsmctl policy approve PROPOSAL_ID --key FILE [--ttl 3600] ${CONN_USAGE}`,
      options: { ...CONNECTION, key: { type: 'string' }, ttl: { type: 'string', default: '3600' } },
      async run(v, p) {
        await approve(v, `/v1/policy/proposals/${encodeURIComponent(positional(p, 'PROPOSAL_ID', this.usage))}`);
      },
    },
    'policy activate': {
      summary: "activate the policy proposals whose time lock has passed on the device's clock (admin token; the device also does it by itself)",
      usage: `hsmctl policy activate PROPOSAL_ID ${CONN_USAGE}`,
      options: { ...CONNECTION },
      async run(v, p) {
        out((await call(v, 'POST', `/v1/policy/proposals/${encodeURIComponent(positional(p, 'PROPOSAL_ID', this.usage))}/activate`, {})).json);
      },
    },
  };
}
