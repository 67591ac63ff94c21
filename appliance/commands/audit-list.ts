// audit.list: a page of audit entries from a seq, as stored (canonical CBOR bytes and their hash).
// A page holds at most `limit` entries and about AUDIT_PAGE_MAX_BYTES of them (entries can embed a
// whole policy document), so it always fits the response frame; `nextSeq` says where the next page
// starts, or is null when this page reaches the head.
import type { CborMap } from '../../protocol/cbor.js';
import { onlyKeys, optUint } from '../../protocol/args.js';
import { AUDIT_PAGE_MAX_BYTES } from '../../protocol/limits.js';
import type { Device } from '../device.js';

export async function auditList(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['fromSeq', 'limit']);
  const entries = dev.audit.list(optUint(args, 'fromSeq', 1), optUint(args, 'limit', 100, 1000), AUDIT_PAGE_MAX_BYTES);
  const head = dev.audit.head();
  const last = entries[entries.length - 1];
  return {
    headSeq: head.seq,
    headHash: head.hash,
    entries: entries.map((e) => ({ seq: e.seq, hash: e.hash, entry: e.entry })),
    nextSeq: last !== undefined && last.seq < head.seq ? last.seq + 1 : null,
  };
}
