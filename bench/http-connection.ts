// The load generator's HTTP client: one kept-alive HTTP/1.1 connection per concurrent worker, one
// request at a time on it, the request written in one piece and the answer read by its Content-Length.
// node:http's client (ClientRequest, an Agent, an IncomingMessage stream per answer) cost the load
// generator more CPU per request than the bridge it measures, on the machine's shared cores; a real
// client would run elsewhere. The requests are the same: method, path, Host, the caller's headers,
// Content-Length and the body. An answer without a Content-Length (chunked) is refused: the bridge
// sends none.
import { connect, type Socket } from 'node:net';

export interface HttpAnswer {
  status: number;
  body: Buffer;
}

const HEAD_END = Buffer.from('\r\n\r\n');

export class HttpConnection {
  private sock: Socket | undefined;
  private buf: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (a: HttpAnswer) => void; reject: (e: Error) => void } | undefined;
  private readonly hostHeader: string;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {
    this.hostHeader = `${host}:${port}`;
  }

  /** Sends one request and reads its answer; the connection is opened (again) when needed. */
  request(method: string, path: string, headers: Record<string, string>, body: string): Promise<HttpAnswer> {
    if (this.waiting) return Promise.reject(new Error('one request at a time on a connection'));
    let head = `${method} ${path} HTTP/1.1\r\nHost: ${this.hostHeader}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    head += `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
    const sock = this.socket();
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      sock.write(head + body);
    });
  }

  close(): void {
    this.sock?.destroy();
    this.sock = undefined;
  }

  private socket(): Socket {
    if (this.sock && !this.sock.destroyed) return this.sock;
    const sock = connect({ host: this.host, port: this.port, noDelay: true });
    this.buf = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      if (this.sock !== sock) return;
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      this.parse();
    });
    const fail = (err: Error) => {
      if (this.sock !== sock) return; // an earlier connection, closed after its last answer
      this.sock = undefined;
      const w = this.waiting;
      this.waiting = undefined;
      w?.reject(err);
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new Error('the connection closed before the answer')));
    this.sock = sock;
    return sock;
  }

  /** Takes one complete answer from the buffer, if there is one. */
  private parse(): void {
    const end = this.buf.indexOf(HEAD_END);
    if (end < 0) return;
    const head = this.buf.toString('latin1', 0, end);
    const lines = head.split('\r\n');
    const status = Number(/^HTTP\/1\.[01] ([0-9]{3})/.exec(lines[0] ?? '')?.[1]);
    let length: number | undefined;
    let close = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') length = Number(value);
      else if (name === 'connection') close = value.toLowerCase() === 'close';
    }
    const w = this.waiting;
    if (!Number.isSafeInteger(status) || length === undefined || !Number.isSafeInteger(length)) {
      this.waiting = undefined;
      this.close();
      w?.reject(new Error('an answer without a status or a Content-Length'));
      return;
    }
    const start = end + HEAD_END.length;
    if (this.buf.length < start + length) return;
    const body = this.buf.subarray(start, start + length);
    this.buf = this.buf.subarray(start + length);
    this.waiting = undefined;
    if (close) this.close();
    w?.resolve({ status, body });
  }
}
