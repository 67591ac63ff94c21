// `hsmctl policy show|diff|cancel` over the bridge: the active policy (auditor token), what a pending
// or scheduled proposal changes against it (the appliance's own list of changes, from GET
// /v1/policy/proposals/{id}: admin, approver or auditor token), or the diff of two local policy JSON
// files, and cancelling a pending or scheduled proposal with one admin's signature (the proposal is
// read first and refused unless it can still be cancelled, so nothing is signed for nothing). The URL
// and token come from bridge-connection.ts; every failure names the method and URL.
import { ApplianceError } from '../protocol/errors.js';
import { encodePolicyCancelStatement } from '../firmware-policy/policy-governance.js';
import { readApproverKey, signStatement } from './approver-key.js';
import { callBridgeOrThrow } from './bridge-connection.js';
import { diffLines, localPolicyDiff, type DiffRow } from './policy-diff-text.js';

type Values = Record<string, string | boolean | string[] | undefined>;
interface CliSub {
  summary: string;
  usage: string;
  options: Record<string, { type: 'string' | 'boolean'; default?: string | boolean; multiple?: boolean }>;
  run(v: Values, positionals: string[]): Promise<void>;
}

const CONNECTION = { url: { type: 'string' as const }, 'token-file': { type: 'string' as const } };
const CONN_USAGE = '[--url URL] [--token-file FILE]';
const CANCELLABLE = new Set(['pending', 'scheduled']);

const proposalPath = (id: string) => `/v1/policy/proposals/${encodeURIComponent(id)}`;

export function policySubs(io: { out: (x: unknown) => void; say: (m: string) => void }): Record<string, CliSub> {
  const { out, say } = io;
  const print = (lines: string[]): void => void process.stdout.write(lines.join('\n') + '\n');

  return {
    'policy show': {
      summary: 'show the active policy: version, hash, activation time and document (auditor token)',
      usage: `hsmctl policy show ${CONN_USAGE}   (GET /v1/policy)`,
      options: { ...CONNECTION },
      async run(v) {
        out((await callBridgeOrThrow(v, 'GET', '/v1/policy')).json);
      },
    },
    'policy diff': {
      summary: 'what a policy proposal changes against the active policy (admin, approver or auditor token), or the diff of two local policy JSON files',
      usage: `hsmctl policy diff PROPOSAL_ID [--json] ${CONN_USAGE}   |   hsmctl policy diff --from OLD.json --to NEW.json [--json]`,
      options: { ...CONNECTION, from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' } },
      async run(v, p) {
        const local = typeof v.from === 'string' || typeof v.to === 'string';
        if (local === (p[0] !== undefined)) throw new ApplianceError('bad_request', `give a PROPOSAL_ID or --from OLD.json --to NEW.json: ${this.usage}`);
        if (local) {
          if (typeof v.from !== 'string' || typeof v.to !== 'string') throw new ApplianceError('bad_request', '--from OLD.json and --to NEW.json go together');
          const changes = localPolicyDiff(v.from, v.to);
          if (v.json) return out({ from: v.from, to: v.to, changes, changeCount: changes.length });
          return print([`${v.from} -> ${v.to}: ${changes.length} change${changes.length === 1 ? '' : 's'}`, ...diffLines(changes)]);
        }
        const id = p[0]!;
        const proposal = (await callBridgeOrThrow(v, 'GET', proposalPath(id))).json;
        const changes = (proposal.changes as DiffRow[] | undefined) ?? [];
        const count = Number(proposal.changeCount ?? changes.length);
        if (v.json) return out({ proposalId: proposal.proposalId, version: proposal.version, status: proposal.status, stricter: proposal.stricter, changes, changeCount: count });
        const lock = proposal.stricter ? 'only tightens: no time lock' : 'loosens: the time lock applies';
        print([
          `proposal ${id} (version ${String(proposal.version)}, ${String(proposal.status)}, ${lock}) against the active policy: ${count} change${count === 1 ? '' : 's'}`,
          ...diffLines(changes),
          ...(count > changes.length ? [`  … ${count - changes.length} more not listed (the appliance lists the first ${changes.length})`] : []),
        ]);
      },
    },
    'policy cancel': {
      summary: 'cancel a pending or scheduled policy proposal with an admin key file: reads it, signs the cancel statement, posts it (admin token)',
      usage: `hsmctl policy cancel PROPOSAL_ID --key FILE [--ttl 3600] ${CONN_USAGE}   (one admin's signature cancels)`,
      options: { ...CONNECTION, key: { type: 'string' }, ttl: { type: 'string', default: '3600' } },
      async run(v, p) {
        const id = p[0];
        if (!id) throw new ApplianceError('bad_request', `PROPOSAL_ID is required: ${this.usage}`);
        if (typeof v.key !== 'string' || v.key === '') throw new ApplianceError('bad_request', '--key FILE is required');
        const key = readApproverKey(v.key);
        const ttl = Number(v.ttl);
        if (!Number.isSafeInteger(ttl) || ttl <= 0) throw new ApplianceError('bad_request', '--ttl must be a positive number of seconds');
        const proposal = (await callBridgeOrThrow(v, 'GET', proposalPath(id))).json;
        const status = String(proposal.status);
        if (!CANCELLABLE.has(status)) throw new ApplianceError('conflict', `proposal ${id} is ${status}, not pending or scheduled: there is nothing to cancel`, { status });
        const deviceId = String((proposal.statement as { deviceId?: unknown } | undefined)?.deviceId ?? '');
        if (deviceId === '') throw new ApplianceError('bad_request', `proposal ${id} names no device id to sign for`);
        const expiresAt = Math.floor(Date.now() / 1000) + ttl;
        const signature = '0x' + Buffer.from(signStatement(key, encodePolicyCancelStatement(deviceId, id, key.id, expiresAt))).toString('hex');
        const ans = await callBridgeOrThrow(v, 'POST', `${proposalPath(id)}/cancel`, { adminId: key.id, expiresAt, signature });
        out(ans.json);
        say(`cancelled by ${key.id}: now ${String(ans.json.status ?? `HTTP ${ans.status}`)}`);
      },
    },
  };
}
