// The audit log for auditors: a page of entries with their decoded payloads (for reading; the stored
// COSE_Sign1 bytes are what an auditor verifies), and the whole log from a seq as a stream
// (application/cbor-seq of the entries, or JSON Lines for SIEMs).
import { decodeCanonical, type CborMap } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { decodeCoseSign1 } from '../../attestation/cose-sign1.js';
import { cborToJson, jsonOptUint } from '../json-cbor.js';
import { queryUints, type BridgeApp, type RouteContext } from './context.js';

/** Adds the decoded payload of an audit entry's COSE_Sign1, for reading (not for verifying). */
function withPayload(e: CborMap): CborMap {
  if (!(e.entry instanceof Uint8Array)) return e;
  try {
    const payload = decodeCoseSign1(e.entry).payload;
    return payload ? { ...e, payload: decodeCanonical(payload) } : e;
  } catch {
    return e;
  }
}

const EXPORT_PAGE = 500;

export function auditRoutes(app: BridgeApp, r: RouteContext): void {
  app.get('/v1/audit', r.requireScope('auditor'), async (c) => {
    const page = await r.command(c, 'audit.list', queryUints(c, 'fromSeq', 'limit'));
    const entries = (Array.isArray(page.entries) ? page.entries : []).map((e) => withPayload(e));
    return r.reply(c, { ...page, entries });
  });
  app.get('/v1/audit/export', r.requireScope('auditor'), (c) => {
    const format = c.req.query('format') ?? 'cbor-seq';
    if (format !== 'cbor-seq' && format !== 'jsonl') throw new ApplianceError('bad_request', '"format" expected cbor-seq or jsonl', { field: 'format' });
    let next = jsonOptUint(c.req.query('fromSeq'), 'fromSeq') ?? 1;
    const traceId = c.get('traceId');
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const page = await r.command(c, 'audit.list', { fromSeq: next, limit: EXPORT_PAGE });
          const entries = Array.isArray(page.entries) ? page.entries : [];
          if (entries.length === 0) return controller.close();
          for (const e of entries) {
            controller.enqueue(format === 'cbor-seq' ? e.entry : new TextEncoder().encode(JSON.stringify(cborToJson(withPayload(e))) + '\n'));
          }
          next = Number(entries[entries.length - 1]?.seq) + 1;
        } catch (err) {
          controller.error(err);
        }
      },
    });
    return new Response(body, { status: 200, headers: { 'Content-Type': format === 'cbor-seq' ? 'application/cbor-seq' : 'application/jsonl', 'X-Request-Id': traceId } });
  });
}
