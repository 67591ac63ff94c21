// `hsmctl requester …` and `hsmctl sign evm|typed-data` (`sign tx`: the former name of `sign evm`): a
// requester's request key in its own SoftHSM2 token (requester-token.ts), and signing requests stamped
// with it (stamped-request.ts). The bridge URL and bearer token come from bridge-connection.ts (flag,
// environment, config file; the token never from argv); the request key never leaves its token.
import { readFileSync } from 'node:fs';
import { ApplianceError } from '../protocol/errors.js';
import { isoTime } from '../protocol/iso-time.js';
import { jsonObject } from '../host-bridge/json-cbor.js';
import type { StampedCommand } from '../host-bridge/request-stamp-client.js';
import { bridgeToken, bridgeUrl } from './bridge-connection.js';

/** The request key's token code (PKCS#11), loaded only by the commands that use it. */
const requesterToken = () => import('./requester-token.js');

type Values = Record<string, string | boolean | string[] | undefined>;
interface CliSub {
  summary: string;
  usage: string;
  options: Record<string, { type: 'string' | 'boolean'; default?: string | boolean; multiple?: boolean }>;
  run(v: Values, positionals: string[]): Promise<void>;
}

const need = (v: Values, k: string, what: string): string => {
  const x = v[k];
  if (typeof x !== 'string' || x.length === 0) throw new ApplianceError('bad_request', `--${k} ${what} is required`);
  return x;
};

function readJsonInput(file: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch {
    throw new ApplianceError('bad_request', `cannot read ${what} from ${file === '-' ? 'stdin' : file}`);
  }
  try {
    return jsonObject(JSON.parse(text), what);
  } catch (err) {
    if (err instanceof ApplianceError) throw err;
    throw new ApplianceError('bad_request', `${what} in ${file === '-' ? 'stdin' : file} is not JSON`);
  }
}

const SIGN_OPTIONS = {
  requester: { type: 'string' as const },
  key: { type: 'string' as const },
  'idempotency-key': { type: 'string' as const },
  url: { type: 'string' as const },
  'token-file': { type: 'string' as const },
  'device-id': { type: 'string' as const },
  ttl: { type: 'string' as const, default: '300' },
};

export function requesterSubs(io: { out: (x: unknown) => void; say: (m: string) => void }): Record<string, CliSub> {
  const { out, say } = io;

  async function sign(v: Values, command: StampedCommand, field: 'transaction' | 'typedData', input: string): Promise<void> {
    const requester = need(v, 'requester', 'NAME');
    const url = bridgeUrl(v.url);
    const { sendStampedRequest } = await import('./stamped-request.js');
    const ans = await sendStampedRequest({
      varRoot: String(v.var),
      requester,
      url,
      token: bridgeToken(v['token-file'] as string | undefined),
      command,
      body: { keyId: need(v, 'key', 'KEY_ID'), [field]: readJsonInput(input, field) },
      idempotencyKey: need(v, 'idempotency-key', 'KEY'),
      ...(typeof v['device-id'] === 'string' ? { deviceId: v['device-id'] } : {}),
      ttlSeconds: Number(v.ttl),
    });
    out(ans.json);
    if (ans.status >= 400) {
      // A denial is the answer with its reasons; any other refusal an RFC 9457 problem with the appliance's code.
      const code = typeof ans.json.code === 'string' ? ans.json.code : undefined;
      const codes = ((ans.json.reasons as { code: string }[] | undefined) ?? []).map((r) => r.code);
      say(`${url} answered HTTP ${ans.status}${code ? ` ${code}` : ''}${codes.length ? ` (${codes.join(', ')})` : ''}`);
      process.exitCode = 1;
    } else if (ans.status === 202) say('pending: the request waits for approvals (hsmctl approver sign --in this answer)');
  }

  const signEvm: CliSub = {
    summary: 'ask the bridge to sign an EVM transaction, stamped with the requester key (HSM_TOKEN: its orchestrator token); `sign tx` is the same command',
    usage:
      'hsmctl sign evm --requester NAME --key KEY_ID --tx TX.json|- --idempotency-key KEY [--url URL] [--token-file FILE] [--device-id ID] [--ttl 300] [--var DIR]   (URL: --url, $HSM, the config file; token: --token-file, $HSM_TOKEN, the config file)',
    options: { ...SIGN_OPTIONS, tx: { type: 'string' } },
    async run(v) {
      await sign(v, 'sign.evm-tx', 'transaction', need(v, 'tx', 'TX.json|-'));
    },
  };

  return {
    'requester init': {
      summary: "make a requester's request key in its own SoftHSM2 token; prints the policy entry (no secret)",
      usage: 'hsmctl requester init --name NAME [--var DIR]   (NAME is the requester id in the policy)',
      options: { name: { type: 'string' } },
      async run(v) {
        const name = need(v, 'name', 'NAME');
        const { initRequesterToken, policyEntry, requesterPaths } = await requesterToken();
        const c = await initRequesterToken({ varRoot: String(v.var), name });
        say(`request key for "${name}" made in its own token under ${requesterPaths(String(v.var), name).dir} (PINs in 0600 files); add the entry below to the policy's requesters, with its "groups"`);
        out(policyEntry(c));
      },
    },
    'requester show': {
      summary: "show a requester's policy entry and how its key is protected in its token",
      usage: 'hsmctl requester show --name NAME [--var DIR]',
      options: { name: { type: 'string' } },
      async run(v) {
        const name = need(v, 'name', 'NAME');
        const { policyEntry, readRequesterConfig, requesterKeyProtection } = await requesterToken();
        const c = readRequesterConfig(String(v.var), name);
        out({ ...policyEntry(c), tokenUri: c.tokenUri, createdAt: c.createdAt, createdAtIso: isoTime(c.createdAt), protection: await requesterKeyProtection(String(v.var), name) });
      },
    },
    'sign evm': signEvm,
    // The former name, kept so scripts and the README guide keep working: the same options and run.
    'sign tx': {
      ...signEvm,
      summary: 'the former name of `sign evm`, kept so scripts and the README guide keep working',
      usage: signEvm.usage.replace('hsmctl sign evm', 'hsmctl sign tx') + '   (the same as hsmctl sign evm)',
    },
    'sign typed-data': {
      summary: 'ask the bridge to sign EIP-712 typed data, stamped with the requester key (HSM_TOKEN: its orchestrator token)',
      usage:
        'hsmctl sign typed-data --requester NAME --key KEY_ID --typed-data TD.json|- --idempotency-key KEY [--url URL] [--token-file FILE] [--device-id ID] [--ttl 300] [--var DIR]   (URL: --url, $HSM, the config file; token: --token-file, $HSM_TOKEN, the config file)',
      options: { ...SIGN_OPTIONS, 'typed-data': { type: 'string' } },
      async run(v) {
        await sign(v, 'sign.typed-data', 'typedData', need(v, 'typed-data', 'TD.json|-'));
      },
    },
  };
}
