// The load generator's HTTP client: one kept-alive HTTP/1.1 connection per concurrent worker, one
// request at a time on it, through undici's Client (the HTTP/1.1 client Node's own fetch is built on,
// without fetch's web Request and Response objects). node:http's client (ClientRequest, an Agent, an
// IncomingMessage stream per answer) cost the load generator more CPU per request than the bridge it
// measures, on the machine's shared cores; a real client would run elsewhere. The requests are the
// same: method, path, the caller's headers and the body.
import { Client } from 'undici';

export interface HttpAnswer {
  status: number;
  body: Buffer;
}

export class HttpConnection {
  private readonly client: Client;

  constructor(host: string, port: number) {
    this.client = new Client(`http://${host}:${port}`, { pipelining: 1 });
  }

  /** Sends one request and reads its whole answer. */
  async request(method: 'POST' | 'GET', path: string, headers: Record<string, string>, body: string): Promise<HttpAnswer> {
    const answer = await this.client.request({ method, path, headers, body });
    return { status: answer.statusCode, body: Buffer.from(await answer.body.arrayBuffer()) };
  }

  close(): void {
    void this.client.destroy();
  }
}
