// The appliance's only door: a Unix socket (mode 0600, or 0660 for a bridge in the socket's group
// when deployed as separate users: docs/deployment.md) carrying length-prefixed canonical CBOR
// frames. Anything that is not one canonical request gets a typed error; a frame over the limit
// closes the connection without being read. Several requests may be in flight per connection. An
// answer too large for the response frame goes out as the typed error response_too_large.
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { decodeCanonical, type CborMap } from '../protocol/cbor.js';
import { DEFAULT_MAX_FRAME, FrameReader } from '../protocol/frame.js';
import { maxResponseFrame } from '../protocol/limits.js';
import { ApplianceError } from '../protocol/errors.js';
import { errorEnvelope, okEnvelope, parseRequestEnvelope } from '../protocol/messages.js';
import type { Device } from './device.js';
import { dispatch } from './dispatch.js';
import { log } from './log.js';
import { withTrace } from './trace.js';
import { answerFrame } from './answer-frame.js';

export interface ApplianceServer {
  server: Server;
  close(): Promise<void>;
}

function toWireError(err: unknown): { code: ApplianceError['code']; message: string; details?: CborMap } {
  if (err instanceof ApplianceError) {
    const details = err.details ? (JSON.parse(JSON.stringify(err.details, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))) as CborMap) : undefined;
    return details ? { code: err.code, message: err.message, details } : { code: err.code, message: err.message };
  }
  // A fault: the message stays inside; only a stable code travels.
  log('error', 'internal error', { error: err instanceof Error ? err.name : typeof err });
  return { code: 'internal', message: 'internal error' };
}

async function handleFrame(dev: Device, payload: Uint8Array): Promise<CborMap> {
  let id: number | null = null;
  const started = performance.now();
  try {
    const env = dev.stages.time('decode', () => parseRequestEnvelope(decodeCanonical(payload)));
    id = env.id;
    let result: CborMap;
    try {
      result = await withTrace(env.traceId, () => dispatch(dev, env.cmd, env.args));
    } finally {
      // Nothing leaves the device before the state it depends on is on disk and the token's anchor covers it.
      await dev.sealed.whenAnchored();
    }
    log('debug', 'command', { cmd: env.cmd, ms: +(performance.now() - started).toFixed(2) });
    return okEnvelope(env.id, result);
  } catch (err) {
    const wire = toWireError(err);
    log('info', 'command failed', { code: wire.code });
    return errorEnvelope(id, wire);
  }
}

interface ServerState {
  inflight: number;
  sockets: Set<Socket>;
}

function serveConnection(dev: Device, sock: Socket, maxFrame: number, state: ServerState): void {
  state.sockets.add(sock);
  sock.on('close', () => state.sockets.delete(sock));
  const reader = new FrameReader(maxFrame);
  const send = (m: CborMap) => {
    if (!sock.destroyed) sock.write(dev.stages.time('encode', () => answerFrame(m, maxResponseFrame(maxFrame))));
  };
  sock.on('data', (chunk) => {
    let frames: Uint8Array[];
    try {
      frames = reader.push(chunk);
    } catch (err) {
      // Refused before any command is decoded (e.g. a frame over the limit): logged, then closed.
      const wire = toWireError(err);
      log('warn', 'frame refused', { code: wire.code });
      send(errorEnvelope(null, wire));
      sock.end();
      sock.removeAllListeners('data');
      return;
    }
    for (const f of frames) {
      state.inflight++;
      void handleFrame(dev, f)
        .then(send)
        .catch((err: unknown) => log('error', 'answer not sent', { error: err instanceof Error ? err.name : typeof err }))
        .finally(() => state.inflight--);
    }
  });
  sock.on('error', () => sock.destroy());
}

/** The socket's modes: owner only (the default), or owner and group (the bridge's user in the socket directory's group). */
export const SOCKET_MODES = { owner: 0o600, group: 0o660 } as const;
export type SocketMode = (typeof SOCKET_MODES)[keyof typeof SOCKET_MODES];

export interface ListenOptions {
  maxFrame?: number;
  /** 0600 unless given; never world-accessible. */
  socketMode?: SocketMode;
}

export async function listen(dev: Device, socketPath: string, opts: ListenOptions = {}): Promise<ApplianceServer> {
  const maxFrame = opts.maxFrame ?? DEFAULT_MAX_FRAME;
  const mode = opts.socketMode ?? SOCKET_MODES.owner;
  if (mode !== SOCKET_MODES.owner && mode !== SOCKET_MODES.group) throw new ApplianceError('bad_request', 'the socket mode must be 0600 or 0660');
  if (existsSync(socketPath)) unlinkSync(socketPath);
  const state: ServerState = { inflight: 0, sockets: new Set() };
  const server = createServer((sock) => serveConnection(dev, sock, maxFrame, state));
  const oldUmask = process.umask(0o777 & ~mode); // the socket is created with its final mode, no window before chmod
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
  } finally {
    process.umask(oldUmask);
  }
  chmodSync(socketPath, mode);
  return {
    server,
    // Stop accepting, let in-flight commands finish and answer (at most 10 s), then drop the
    // connections clients keep open.
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const deadline = Date.now() + 10_000;
      while (state.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      for (const sock of state.sockets) sock.destroy();
      await closed;
    },
  };
}
