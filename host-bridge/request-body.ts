// The request body, read once per request, as bytes, text (UTF-8 with bad sequences replaced and a
// leading BOM dropped, as undici's Request.text() reads it) or JSON (JSON.parse of that text, as
// Request.json()). On the bridge's server (@hono/node-server) the bytes come straight from
// Node's IncomingMessage: the first touch of c.req's body would have made the adapter build a WHATWG
// Request with an AbortController and two web streams over the socket, the largest part of the bridge's
// own CPU per signed transfer (issue 17). Elsewhere (tests driving app.request()) they come from the
// Request. Every route reads its body here, never from c.req, so a body is never read twice.
import { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { ApplianceError } from '../protocol/errors.js';

const reads = new WeakMap<object, Promise<Uint8Array>>();
const decoder = new TextDecoder(); // not fatal, BOM not ignored: the Encoding standard's decode, as undici's

/** The Node request behind `c`, when the bridge runs on @hono/node-server (its bindings carry it). */
export function nodeIncoming(c: Context): IncomingMessage | undefined {
  const env: unknown = c.env;
  const incoming = typeof env === 'object' && env !== null ? (env as { incoming?: unknown }).incoming : undefined;
  return incoming instanceof IncomingMessage ? incoming : undefined;
}

/**
 * Reads `incoming` to its end; past `limit` bytes (when given) stops listening and rejects with
 * `tooLarge()`, leaving the rest unread (the adapter drains or closes it after the answer).
 */
function readIncoming(incoming: IncomingMessage, limit: number | undefined, tooLarge: () => Error): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      incoming.off('data', onData);
      incoming.off('end', onEnd);
      incoming.off('error', onError);
      incoming.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (limit !== undefined && size > limit) {
        done();
        incoming.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    // The client went away before the end: no body will come.
    const onClose = () => {
      if (incoming.complete) return;
      done();
      reject(new ApplianceError('bad_request', 'the request body ended early'));
    };
    incoming.on('data', onData);
    incoming.on('end', onEnd);
    incoming.on('error', onError);
    incoming.on('close', onClose);
  });
}

/**
 * The body's bytes (read on the first call, the same promise after). `cap`, when given, bounds a read
 * from Node: past `cap.limit` bytes it rejects with `cap.tooLarge()` (body-limit.ts counts a body
 * without a Content-Length this way); elsewhere the body-limit middleware has bounded the Request.
 */
export function bodyBytes(c: Context, cap?: { limit: number; tooLarge: () => Error }): Promise<Uint8Array> {
  let read = reads.get(c.req);
  if (read === undefined) {
    const incoming = nodeIncoming(c);
    read =
      incoming !== undefined
        ? readIncoming(incoming, cap?.limit, cap?.tooLarge ?? (() => new ApplianceError('body_too_large', 'the request body is too large')))
        : c.req.arrayBuffer().then((b) => new Uint8Array(b));
    reads.set(c.req, read);
  }
  return read;
}

/** The body as text, as undici's Request.text() reads it: a leading BOM dropped, then decoded (which drops one more). */
export async function bodyText(c: Context): Promise<string> {
  let bytes = await bodyBytes(c);
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  return decoder.decode(bytes);
}

/** The body parsed as JSON (a SyntaxError when it is not), as Request.json() reads it. */
export async function bodyJson(c: Context): Promise<unknown> {
  return JSON.parse(await bodyText(c)) as unknown;
}
