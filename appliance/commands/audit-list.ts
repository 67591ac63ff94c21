// audit.list (protocol/commands/audit-list.ts): a page of audit entries from a seq, as stored.
import type { AuditListArgs, AuditListResult } from '../../protocol/commands/audit-list.js';
import { AUDIT_PAGE_MAX_BYTES } from '../../protocol/limits.js';
import type { Device } from '../device.js';

export async function auditList(dev: Device, { fromSeq, limit }: AuditListArgs): Promise<AuditListResult> {
  const entries = dev.audit.list(fromSeq, limit, AUDIT_PAGE_MAX_BYTES);
  const head = dev.audit.head();
  const last = entries[entries.length - 1];
  return {
    headSeq: head.seq,
    headHash: head.hash,
    entries: entries.map((e) => ({ seq: e.seq, hash: e.hash, entry: e.entry })),
    nextSeq: last !== undefined && last.seq < head.seq ? last.seq + 1 : null,
  };
}
