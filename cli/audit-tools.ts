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

/** The seq of the last entry in an existing export, or 0. */
export function lastExportedSeq(file: string): number {
  if (!existsSync(file) || statSync(file).size === 0) return 0;
  const items = splitCborSeq(new Uint8Array(readFileSync(file)));
  const last = items[items.length - 1];
  return last ? Number(entryPayload(last).seq) : 0;
}

/** Streams /v1/audit/export into `file`, resuming after its last entry. Returns the count written. */
export async function exportAudit(opts: { url: string; token: string; file: string; fromSeq?: number; progress: (m: string) => void }): Promise<number> {
  const from = opts.fromSeq ?? lastExportedSeq(opts.file) + 1;
  const url = `${opts.url}/v1/audit/export?fromSeq=${from}&format=cbor-seq`;
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
      const { items, consumed: cut } = takeWholeItems(buf);
      if (cut > 0) appendFileSync(opts.file, buf.subarray(0, cut));
      const before = written;
      written += items.length;
      lastSeq += items.length;
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
