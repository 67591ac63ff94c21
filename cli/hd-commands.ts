// `hsmctl hd create|derive|xpub`: an HD wallet's life over the bridge (docs/hd-wallets.md). An admin
// creates the wallet (its seed stays in the token; the answer is its id, never a mnemonic) and derives
// a key at m/44'/60'/account'/0/index into a key group; an admin or auditor reads an account's extended
// public key, from which the ledger derives deposit addresses with no appliance call. The URL and token
// come from bridge-connection.ts; every failure names the method and URL.
import { ApplianceError } from '../protocol/errors.js';
import { callBridgeOrThrow } from './bridge-connection.js';

type Values = Record<string, string | boolean | string[] | undefined>;
interface CliSub {
  summary: string;
  usage: string;
  options: Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>;
  run(v: Values, positionals: string[]): Promise<void>;
}

const CONNECTION = { url: { type: 'string' as const }, 'token-file': { type: 'string' as const } };
const CONN_USAGE = '[--url URL] [--token-file FILE]';

const text = (v: Values, k: string, what: string): string => {
  const x = v[k];
  if (typeof x !== 'string' || x.length === 0) throw new ApplianceError('bad_request', `--${k} ${what} is required`);
  return x;
};

/** A BIP-32 index below 2^31 (the hardened bit is the path's, not the operator's). */
const index = (v: Values, k: string): number => {
  const x = text(v, k, 'N');
  const n = Number(x);
  if (!/^\d+$/.test(x) || !Number.isSafeInteger(n) || n >= 2 ** 31) throw new ApplianceError('bad_request', `--${k} must be a whole number below 2^31`, { field: k });
  return n;
};

const walletOf = (p: string[], usage: string): string => {
  const id = p[0];
  if (!id) throw new ApplianceError('bad_request', `WALLET_ID is required: ${usage}`);
  return encodeURIComponent(id);
};

export function hdSubs(io: { out: (x: unknown) => void; say: (m: string) => void }): Record<string, CliSub> {
  const { out, say } = io;
  return {
    'hd create': {
      summary: "create an HD wallet: a BIP-39 seed from the token's generator, kept in the token (admin token); prints its id, never the mnemonic",
      usage: `hsmctl hd create --label TEXT ${CONN_USAGE}`,
      options: { ...CONNECTION, label: { type: 'string' } },
      async run(v) {
        const ans = await callBridgeOrThrow(v, 'POST', '/v1/hd-wallets', { label: text(v, 'label', 'TEXT') });
        out(ans.json);
        say(`wallet ${String(ans.json.walletId)}: derive a key with hsmctl hd derive ${String(ans.json.walletId)} --account A --index I --group GROUP --label TEXT`);
      },
    },
    'hd derive': {
      summary: "derive the key at m/44'/60'/account'/0/index into the token, in a key group of the active policy (admin token)",
      usage: `hsmctl hd derive WALLET_ID --account A --index I --group GROUP --label TEXT ${CONN_USAGE}`,
      options: { ...CONNECTION, account: { type: 'string' }, index: { type: 'string' }, group: { type: 'string' }, label: { type: 'string' } },
      async run(v, p) {
        const wallet = walletOf(p, this.usage);
        const body = { account: index(v, 'account'), index: index(v, 'index'), group: text(v, 'group', 'GROUP'), label: text(v, 'label', 'TEXT') };
        out((await callBridgeOrThrow(v, 'POST', `/v1/hd-wallets/${wallet}/keys`, body)).json);
      },
    },
    'hd xpub': {
      summary: "print the extended public key of m/44'/60'/account' (admin or auditor token): deposit addresses derive from it with no appliance call",
      usage: `hsmctl hd xpub WALLET_ID [--account 0] ${CONN_USAGE}`,
      options: { ...CONNECTION, account: { type: 'string', default: '0' } },
      async run(v, p) {
        const wallet = walletOf(p, this.usage);
        out((await callBridgeOrThrow(v, 'GET', `/v1/hd-wallets/${wallet}/accounts/${index(v, 'account')}/xpub`)).json);
      },
    },
  };
}
