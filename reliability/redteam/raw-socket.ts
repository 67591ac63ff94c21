// Raw frames to the appliance socket, below the bridge's client: what a compromised bridge (or any
// process that can open the socket) can send, including frames no well-behaved client would build.
import { connect } from 'node:net';
import { decodeCanonical, encodeCanonical, type CborMap } from '../../protocol/cbor.js';
import { encodeFrame, FrameReader } from '../../protocol/frame.js';

export interface Exchange {
  responses: CborMap[];
  /** The appliance closed the connection. */
  closed: boolean;
  /** A socket error seen after connecting (e.g. EPIPE while writing past a refused frame header). */
  error?: string;
}

/** Writes `bytes` on a fresh connection; collects responses until `expected` arrive, the close, or 3 s. */
export function exchange(socketPath: string, bytes: Uint8Array, expected: number): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const sock = connect(socketPath);
    const reader = new FrameReader(1 << 22);
    const responses: CborMap[] = [];
    let closed = false;
    let connected = false;
    let error: string | undefined;
    const finish = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(error === undefined ? { responses, closed } : { responses, closed, error });
    };
    const timer = setTimeout(finish, 3000);
    sock.on('data', (d) => {
      for (const f of reader.push(d)) responses.push(decodeCanonical(f) as CborMap);
      if (responses.length >= expected && expected > 0) finish();
    });
    sock.on('end', () => (closed = true));
    sock.on('close', () => {
      closed = true;
      finish();
    });
    sock.on('connect', () => (connected = true));
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected) return reject(err);
      error = err.code ?? err.message;
      closed = true;
      finish();
    });
    sock.write(bytes);
  });
}

/** One request envelope as a frame; `cmd` is any string, known to the appliance or not. */
export function commandFrame(id: number, cmd: string, args: CborMap): Uint8Array {
  return encodeFrame(encodeCanonical({ id, cmd, args }), 1 << 22);
}

export const errorCode = (r: CborMap | undefined): string | undefined => (r?.error as CborMap | undefined)?.code as string | undefined;
