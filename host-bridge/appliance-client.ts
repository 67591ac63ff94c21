// The bridge's connection to the appliance: one Unix socket kept open, requests pipelined with ids,
// responses matched by id. The bridge forwards canonical CBOR; it holds no key and decides nothing.
import { connect, type Socket } from 'node:net';
import { decodeCanonical, encodeCanonical, type CborMap } from '../protocol/cbor.js';
import { DEFAULT_MAX_FRAME, FrameReader, encodeFrame } from '../protocol/frame.js';
import { ApplianceError } from '../protocol/errors.js';
import { maxResponseFrame } from '../protocol/limits.js';
import { parseResponseEnvelope, type Command } from '../protocol/messages.js';
import { toWireArgs } from '../protocol/commands/command.js';
import type { CommandName, ParamsOf, ResultOf } from '../protocol/commands/index.js';

interface Pending {
  resolve: (v: CborMap) => void;
  reject: (e: unknown) => void;
  timer: NodeJS.Timeout;
}

export interface ApplianceClientOptions {
  timeoutMs?: number;
  maxFrame?: number;
}

export class ApplianceClient {
  private sock: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly timeoutMs: number;
  private readonly maxFrame: number;
  /** The socket corked until the end of this turn of the event loop (send). */
  private corked: Socket | undefined;

  constructor(
    private readonly socketPath: string,
    opts: ApplianceClientOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.maxFrame = opts.maxFrame ?? DEFAULT_MAX_FRAME;
  }

  /**
   * A command with its catalogue types (protocol/commands/): the parameters are checked by the
   * compiler here and by the command's parser in the appliance; the result is typed as the catalogue
   * says (the appliance's answer is canonical CBOR of that shape).
   */
  command<C extends CommandName>(cmd: C, params: ParamsOf<C>, traceId?: string): Promise<ResultOf<C>> {
    return this.call(cmd, toWireArgs(params as object), traceId) as Promise<ResultOf<C>>;
  }

  /** A command with arguments as a CBOR map (tools that send what the catalogue would not type: the fuzzer, the red team). */
  async call(cmd: Command, args: CborMap = {}, traceId?: string): Promise<CborMap> {
    const sock = await this.connection();
    const id = this.nextId;
    this.nextId = this.nextId >= 2 ** 32 - 1 ? 1 : this.nextId + 1;
    const envelope: CborMap = traceId ? { id, cmd, args, traceId } : { id, cmd, args };
    const frame = encodeFrame(encodeCanonical(envelope), this.maxFrame);
    return new Promise<CborMap>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ApplianceError('unavailable', `appliance did not answer "${cmd}" in time`));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.send(sock, frame);
    });
  }

  /**
   * Writes a frame; the frames of one turn of the event loop (requests that arrived together) leave
   * in one write, uncorked after the loop's I/O phase: fewer system calls here, and fewer wake-ups of
   * the appliance, which shares the machine.
   */
  private send(sock: Socket, frame: Buffer): void {
    if (this.corked !== sock) {
      this.corked = sock;
      sock.cork();
      setImmediate(() => {
        this.corked = undefined;
        sock.uncork();
      });
    }
    sock.write(frame);
  }

  close(): void {
    this.sock?.destroy();
    this.sock = undefined;
  }

  private connection(): Promise<Socket> {
    if (this.sock && !this.sock.destroyed) return Promise.resolve(this.sock);
    this.connecting ??= new Promise<Socket>((resolve, reject) => {
      const sock = connect(this.socketPath);
      const reader = new FrameReader(maxResponseFrame(this.maxFrame));
      sock.once('connect', () => {
        this.sock = sock;
        this.connecting = undefined;
        resolve(sock);
      });
      sock.on('data', (chunk) => {
        try {
          for (const f of reader.push(chunk)) this.onFrame(f);
        } catch (err) {
          this.failAll(err);
          sock.destroy();
        }
      });
      sock.on('error', (err) => {
        this.connecting = undefined;
        reject(new ApplianceError('unavailable', 'appliance is not reachable', undefined, { cause: err }));
      });
      sock.on('close', () => {
        if (this.sock === sock) this.sock = undefined;
        this.failAll(new ApplianceError('unavailable', 'connection to the appliance closed'));
      });
    });
    return this.connecting;
  }

  private onFrame(payload: Uint8Array): void {
    const env = parseResponseEnvelope(decodeCanonical(payload));
    if (env.id === null) {
      // A response the appliance could not tie to a request (malformed frame): fail everything.
      if (!env.ok) this.failAll(new ApplianceError(env.error.code, env.error.message));
      return;
    }
    const p = this.pending.get(env.id);
    if (!p) return;
    this.pending.delete(env.id);
    clearTimeout(p.timer);
    if (env.ok) p.resolve(env.result);
    else p.reject(new ApplianceError(env.error.code, env.error.message, env.error.details));
  }

  private failAll(err: unknown): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.pending.delete(id);
    }
  }
}
