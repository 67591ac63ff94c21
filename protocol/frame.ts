// Length-prefixed frames for the bridge <-> appliance socket (DESIGN.md "Wire protocol": a 4-byte
// big-endian length, then one CBOR item; frames over the limit are refused without reading their body).
// Payloads returned by FrameReader are fresh copies that never alias the pushed chunks.
import { ApplianceError } from './errors.js';

export const DEFAULT_MAX_FRAME = 1 << 20;

const HEADER = 4;
const MAX_LENGTH_FIELD = 0xffff_ffff;

function checkMaxFrame(maxFrame: number): void {
  if (!Number.isSafeInteger(maxFrame) || maxFrame < 0 || maxFrame > MAX_LENGTH_FIELD) {
    throw new ApplianceError('bad_request', '"maxFrame" expected an integer in [0, 2^32-1]', { maxFrame });
  }
}

function tooLarge(length: number, maxFrame: number): ApplianceError {
  return new ApplianceError('frame_too_large', `frame of ${length} bytes exceeds the ${maxFrame}-byte limit`, {
    length,
    maxFrame,
  });
}

/** 4-byte big-endian length followed by the payload. */
export function encodeFrame(payload: Uint8Array, maxFrame: number = DEFAULT_MAX_FRAME): Buffer {
  checkMaxFrame(maxFrame);
  if (!(payload instanceof Uint8Array)) throw new ApplianceError('bad_request', '"payload" expected a Uint8Array');
  if (payload.length > maxFrame) throw tooLarge(payload.length, maxFrame);
  const frame = Buffer.allocUnsafe(HEADER + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.set(payload, HEADER);
  return frame;
}

/**
 * Incremental frame parser: feed it socket chunks split anywhere, get back complete payloads.
 * A header that announces more than `maxFrame` throws 'frame_too_large' at once, before any of the
 * body is kept; the stream is then out of sync, so every later push throws the same error (frames
 * completed earlier in that same chunk are dropped with it: answer the error and close the connection).
 */
export class FrameReader {
  readonly maxFrame: number;
  private readonly header = new Uint8Array(HEADER);
  private headerFill = 0;
  private body: Uint8Array | null = null;
  private bodyFill = 0;
  private failure: ApplianceError | null = null;

  constructor(maxFrame: number = DEFAULT_MAX_FRAME) {
    checkMaxFrame(maxFrame);
    this.maxFrame = maxFrame;
  }

  /** Bytes received so far of the frame in progress (its header bytes plus its body bytes). */
  get buffered(): number {
    return this.body === null ? this.headerFill : HEADER + this.bodyFill;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failure) throw this.failure;
    if (!(chunk instanceof Uint8Array)) throw new ApplianceError('bad_request', '"chunk" expected a Uint8Array');
    const frames: Uint8Array[] = [];
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.body === null) {
        // Fast path: a whole header in the chunk and none pending.
        if (this.headerFill === 0 && n - i >= HEADER) {
          this.startBody(((chunk[i]! << 24) >>> 0) + ((chunk[i + 1]! << 16) | (chunk[i + 2]! << 8) | chunk[i + 3]!));
          i += HEADER;
        } else {
          this.header[this.headerFill++] = chunk[i++]!;
          if (this.headerFill < HEADER) continue;
          const h = this.header;
          this.headerFill = 0;
          this.startBody(((h[0]! << 24) >>> 0) + ((h[1]! << 16) | (h[2]! << 8) | h[3]!));
        }
      }
      const body = this.body!;
      const take = Math.min(body.length - this.bodyFill, n - i);
      if (take > 0) {
        body.set(chunk.subarray(i, i + take), this.bodyFill);
        this.bodyFill += take;
        i += take;
      }
      if (this.bodyFill === body.length) {
        frames.push(body);
        this.body = null;
        this.bodyFill = 0;
      }
    }
    return frames;
  }

  private startBody(length: number): void {
    if (length > this.maxFrame) {
      this.headerFill = 0;
      this.failure = tooLarge(length, this.maxFrame);
      throw this.failure;
    }
    this.body = new Uint8Array(length);
    this.bodyFill = 0;
  }
}
