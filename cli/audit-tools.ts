// Auditor tools: export the log over HTTP (resumable, with progress), verify an export offline, and
// replay its decisions with the pure evaluator.
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { ApplianceError } from '../protocol/errors.js';
import { splitCborSeq, takeWholeItems } from '../attestation/cbor-seq.js';
import { entryPayload } from '../attestation/audit-entry-view.js';
import { verifyAuditLog, type VerifyReport } from '../attestation/audit-verify.js';
import { replayDecisions, type ReplayReport } from '../attestation/audit-replay.js';
import { bridgeToken, fetchBridge } from './bridge-connection.js';

/** The bearer token: --token-file, $HSM_TOKEN or the hsmctl config file (bridge-connection.ts). */
export function readToken(tokenFile: string | undefined): string {
  return bridgeToken(tokenFile);
}

/** The one reader of an entry's payload (attestation/audit-entry-view.ts), for the tools that import it from here. */
export { entryPayload };

/** How an export is written: the stored COSE_Sign1 bytes (for audit verify) or JSON Lines to read. */
export type ExportFormat = 'cbor-seq' | 'jsonl';

/** The seq of the last entry in an existing export, or 0. */
export function lastExportedSeq(file: string, format: ExportFormat = 'cbor-seq'): number {
  if (!existsSync(file) || statSync(file).size === 0) return 0;
  if (format === 'jsonl') {
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    const seq: unknown = (JSON.parse(lines[lines.length - 1] ?? '{}') as { seq?: unknown }).seq;
    if (typeof seq !== 'number') throw new ApplianceError('bad_request', `${file} does not end with an audit entry line: give a new file or --from-seq`);
    return seq;
  }
  const items = splitCborSeq(new Uint8Array(readFileSync(file)));
  const last = items[items.length - 1];
  return last ? Number(entryPayload(last).seq) : 0;
}

/** Whole items at the start of `buf`: CBOR data items, or JSON lines (each ending with a newline). */
function wholeItems(buf: Uint8Array, format: ExportFormat): { count: number; cut: number } {
  if (format === 'cbor-seq') {
    const { items, consumed } = takeWholeItems(buf);
    return { count: items.length, cut: consumed };
  }
  let count = 0;
  let cut = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] !== 0x0a) continue;
    count++;
    cut = i + 1;
  }
  return { count, cut };
}

/**
 * Streams /v1/audit/export into `file`, resuming after its last entry. Returns the count written.
 * cbor-seq (the default) is the stored bytes, for audit verify and replay; jsonl is one readable
 * entry per line (its decoded payload beside the bytes), for reading and SIEMs.
 */
export async function exportAudit(opts: { url: string; token: string; file: string; fromSeq?: number; format?: ExportFormat; progress: (m: string) => void }): Promise<number> {
  const format = opts.format ?? 'cbor-seq';
  const from = opts.fromSeq ?? lastExportedSeq(opts.file, format) + 1;
  const url = `${opts.url}/v1/audit/export?fromSeq=${from}&format=${format}`;
  const res = await fetchBridge(url, { headers: { Authorization: `Bearer ${opts.token}` } });
  if (!res.ok || !res.body) throw new ApplianceError(res.status === 401 ? 'unauthorized' : 'unavailable', `GET ${url} answered HTTP ${res.status}`);
  let pending = new Uint8Array(0);
  let written = 0;
  let lastSeq = from - 1;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (value) {
      const buf = new Uint8Array(pending.length + value.length);
      buf.set(pending);
      buf.set(value, pending.length);
      // Write only whole items, so an interrupted export leaves a file that resumes cleanly.
      const { count, cut } = wholeItems(buf, format);
      if (cut > 0) appendFileSync(opts.file, buf.subarray(0, cut));
      const before = written;
      written += count;
      lastSeq += count;
      if (Math.floor(written / 1000) > Math.floor(before / 1000)) opts.progress(`exported ${written} entries (up to seq ${lastSeq})`);
      pending = buf.slice(cut);
    }
    if (done) break;
  }
  if (pending.length > 0) throw new ApplianceError('unavailable', 'the export stream ended inside an entry; run the command again to resume');
  opts.progress(`exported ${written} entries to ${opts.file} (seq ${from}..${lastSeq})`);
  return written;
}

export function readExport(file: string): Uint8Array[] {
  return splitCborSeq(new Uint8Array(readFileSync(file)));
}

export async function verifyExportFile(file: string, opts: { deviceCertPem: string; caCertPem?: string; quote?: Uint8Array; allowedMeasurements?: string[] }): Promise<VerifyReport> {
  return verifyAuditLog(readExport(file), opts);
}

export function replayExportFile(file: string): ReplayReport {
  return replayDecisions(readExport(file).map(entryPayload));
}
