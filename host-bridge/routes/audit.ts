// The audit log for auditors: a page of entries with their decoded payloads (for reading; the stored
// COSE_Sign1 bytes are what an auditor verifies), and the whole log from a seq as a stream
// (application/cbor-seq of the entries, or JSON Lines for SIEMs).
import type { CborMap } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { withDecodedPayload } from '../../attestation/audit-entry-view.js';
import { cborToJson, jsonOptUint } from '../json-cbor.js';
import { policyDecimals, readableJson, type DecimalsOf } from '../readable-json.js';
import { queryUints, type BridgeApp, type RouteContext, type Ctx } from './context.js';

/** The active policy's asset decimals, for amounts in token units (none known before a first policy). */
async function activeDecimals(r: RouteContext, c: Ctx): Promise<DecimalsOf | undefined> {
  try {
    return policyDecimals(cborToJson((await r.command(c, 'policy.get', {})).document as CborMap));
  } catch {
    return undefined;
  }
}

const EXPORT_PAGE = 500;

export function auditRoutes(app: BridgeApp, r: RouteContext): void {
  app.get('/v1/audit', r.requireScope('auditor'), async (c) => {
    const page = await r.command(c, 'audit.list', queryUints(c, 'fromSeq', 'limit'));
    const entries = (Array.isArray(page.entries) ? page.entries : []).map((e) => withDecodedPayload(e));
    return r.reply(c, { ...page, entries }, 200, await activeDecimals(r, c));
  });
  app.get('/v1/audit/export', r.requireScope('auditor'), (c) => {
    const format = c.req.query('format') ?? 'cbor-seq';
    if (format !== 'cbor-seq' && format !== 'jsonl') throw new ApplianceError('bad_request', '"format" expected cbor-seq or jsonl', { field: 'format' });
    let next = jsonOptUint(c.req.query('fromSeq'), 'fromSeq') ?? 1;
    const traceId = c.get('traceId');
    let decimalsOf: DecimalsOf | undefined;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const page = await r.command(c, 'audit.list', { fromSeq: next, limit: EXPORT_PAGE });
          const entries = Array.isArray(page.entries) ? page.entries : [];
          if (entries.length === 0) return controller.close();
          // The CBOR sequence is the stored bytes, exactly (audit verify checks them); each JSON line
          // is one entry with its decoded, readable payload beside those bytes in hex.
          if (format === 'jsonl') decimalsOf ??= await activeDecimals(r, c);
          for (const e of entries) {
            controller.enqueue(format === 'cbor-seq' ? e.entry : new TextEncoder().encode(JSON.stringify(readableJson(cborToJson(withDecodedPayload(e)), { decimalsOf })) + '\n'));
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
