// Runs the host bridge on HTTP, in front of one appliance socket.
import { serve, type ServerType } from '@hono/node-server';
import { ApplianceClient } from './appliance-client.js';
import { createApp } from './app.js';
import { TokenVerifier, readTokens } from './auth.js';
import { AuditEventFeed } from './events.js';

export interface RunningBridge {
  url: string;
  close(): Promise<void>;
}

export async function startBridge(opts: { socketPath: string; tokensFile: string; host: string; port: number }): Promise<RunningBridge> {
  const client = new ApplianceClient(opts.socketPath);
  const events = new AuditEventFeed({ appliance: client });
  void events.start();
  const app = createApp({ appliance: client, tokens: new TokenVerifier(readTokens(opts.tokensFile)), events });
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
