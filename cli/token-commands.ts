// `hsmctl token add|list|revoke|rotate`: the bridge's bearer tokens file (host-bridge/auth.ts), which
// holds only SHA-256 hashes. add and rotate print the new secret once, on stdout; list shows names,
// scopes, principals and dates, never a hash; revoke removes one token by name (an unknown name is a
// typed not_found). A running bridge reads the file again on its next request when it changed
// (host-bridge/token-file-verifier.ts), so a revoked or rotated-away token is refused without a restart.
// The file is --tokens FILE (the bridge's --tokens), else the device directory's.
import { resolve } from 'node:path';
import { ApplianceError } from '../protocol/errors.js';
import { devicePaths } from '../softhsm-config/device-layout.js';
import { addToken, listTokens, revokeToken, rotateToken, SCOPES, type Scope } from '../host-bridge/auth.js';

type Values = Record<string, string | boolean | string[] | undefined>;
interface CliSub {
  summary: string;
  usage: string;
  options: Record<string, { type: 'string' | 'boolean'; default?: string | boolean; multiple?: boolean }>;
  run(v: Values, positionals: string[]): Promise<void>;
}

const FILE_USAGE = "[--device NAME] [--var DIR] [--tokens FILE]   (FILE: the bridge's --tokens; default the device directory's)";
const RELOAD_NOTE = 'a running bridge reads the file again on its next request: no restart';

const tokensFile = (v: Values): string => (typeof v.tokens === 'string' ? resolve(v.tokens) : devicePaths(String(v.var), String(v.device)).bridgeTokens);

const tokenName = (p: string[], usage: string): string => {
  const x = p[0];
  if (!x) throw new ApplianceError('bad_request', `NAME is required: ${usage}`);
  return x;
};

export function tokenSubs(io: { out: (x: unknown) => void; say: (m: string) => void }): Record<string, CliSub> {
  const { out, say } = io;
  return {
    'token add': {
      summary: 'make a bridge bearer token bound to a policy principal; prints it once, stores only its hash',
      usage: `hsmctl token add --name NAME --principal POLICY_ID --scopes ${SCOPES.join(',')} ${FILE_USAGE}`,
      options: { name: { type: 'string' }, principal: { type: 'string' }, scopes: { type: 'string' }, tokens: { type: 'string' } },
      async run(v) {
        const scopes = String(v.scopes ?? '')
          .split(',')
          .filter(Boolean) as Scope[];
        if (!v.principal) throw new ApplianceError('bad_request', '--principal POLICY_ID is required: the requester, admin, approver or auditor id in the policy this token speaks for');
        const token = addToken(tokensFile(v), String(v.name ?? ''), scopes, String(v.principal));
        process.stdout.write(token + '\n');
        say(`the token is shown once; store it in your orchestrator secret store (${RELOAD_NOTE})`);
      },
    },
    'token list': {
      summary: "list the bridge's tokens: name, scopes, principal, created and rotated times (never a hash or secret)",
      usage: `hsmctl token list ${FILE_USAGE}`,
      options: { tokens: { type: 'string' } },
      async run(v) {
        out({ tokens: listTokens(tokensFile(v)) });
      },
    },
    'token revoke': {
      summary: 'remove one bridge token by name; a running bridge refuses it from its next request (unknown name: not_found)',
      usage: `hsmctl token revoke NAME ${FILE_USAGE}`,
      options: { tokens: { type: 'string' } },
      async run(v, p) {
        const removed = revokeToken(tokensFile(v), tokenName(p, this.usage));
        out({ revoked: removed });
        say(`token "${removed.name}" revoked (${RELOAD_NOTE})`);
      },
    },
    'token rotate': {
      summary: 'a new secret for one bridge token, same name, scopes and principal; prints it once, the old one stops working',
      usage: `hsmctl token rotate NAME ${FILE_USAGE}`,
      options: { tokens: { type: 'string' } },
      async run(v, p) {
        const name = tokenName(p, this.usage);
        const token = rotateToken(tokensFile(v), name);
        process.stdout.write(token + '\n');
        say(`token "${name}" rotated: the new secret is shown once; the old one is refused (${RELOAD_NOTE})`);
      },
    },
  };
}
