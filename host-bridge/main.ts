// Runs the host bridge on HTTP, in front of one appliance socket, with the bearer tokens of its tokens
// file (read again whenever it changes).
import { serve, type ServerType } from '@hono/node-server';
import { ApplianceClient } from './appliance-client.js';
import { createApp } from './app.js';
import { readTokens, type TokenRecord } from './auth.js';
import { TokenFileVerifier } from './token-file-verifier.js';
import { AuditEventFeed } from './events.js';
import { PrincipalDirectory } from './principal-directory.js';

export interface RunningBridge {
  url: string;
  close(): Promise<void>;
}

export async function startBridge(opts: { socketPath: string; tokensFile: string; host: string; port: number; consoleOrigin?: string; ethNodeUrl?: string }): Promise<RunningBridge> {
  const records = readTokens(opts.tokensFile); // a broken file stops the start, as ever
  // Read again on every request when it changed: `hsmctl token add|revoke|rotate` need no restart.
  const tokens = new TokenFileVerifier(opts.tokensFile);
  const client = new ApplianceClient(opts.socketPath);
  const events = new AuditEventFeed({ appliance: client });
  void events.start();
  const principals = new PrincipalDirectory(client);
  const app = createApp({
    appliance: client,
    tokens,
    events,
    principals,
    ...(opts.consoleOrigin ? { console: { origin: opts.consoleOrigin } } : {}),
    ...(opts.ethNodeUrl ? { jsonRpc: { nodeUrl: opts.ethNodeUrl } } : {}),
  });
  void warnUnknownPrincipals(records, principals);
  let server: ServerType | undefined;
  const port = await new Promise<number>((resolve) => {
    server = serve({ fetch: app.fetch, hostname: opts.host, port: opts.port }, (info) => resolve(info.port));
  });
  return {
    url: `http://${opts.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        events.stop(); // ends open event streams, so the server can close
        client.close();
        if (!server) return resolve();
        server.close(() => resolve());
      }),
  };
}

/** At start, names on stderr each token the bridge will refuse: bound to no principal, or to one the active policy does not know. */
async function warnUnknownPrincipals(records: TokenRecord[], principals: PrincipalDirectory): Promise<void> {
  try {
    for (const r of records) {
      if (r.principal === undefined) process.stderr.write(`bridge: token "${r.name}" is bound to no policy principal and will be refused; issue it again with --principal\n`);
      else if ((await principals.rolesOf(r.principal)).length === 0)
        process.stderr.write(`bridge: token "${r.name}" is bound to "${r.principal}", which the active policy does not know: refused until a policy names it\n`);
    }
  } catch {
    // the appliance is not up yet: each request is checked anyway
  }
}
