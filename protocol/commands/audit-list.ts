// audit.list: a page of audit entries from a seq, as stored (the COSE_Sign1 bytes and their hash).
// A page holds at most `limit` entries and about AUDIT_PAGE_MAX_BYTES of them (entries can embed a
// whole policy document), so it always fits the response frame; `nextSeq` says where the next page
// starts, or is null when this page reaches the head.
import { onlyKeys, optUint } from '../args.js';
import { defineCommand } from './command.js';

export interface AuditListArgs {
  fromSeq: number;
  limit: number;
}

export type StoredAuditEntry = {
  seq: number;
  hash: Uint8Array;
  /** The COSE_Sign1 as stored. */
  entry: Uint8Array;
};

export type AuditListResult = {
  headSeq: number;
  headHash: Uint8Array;
  entries: StoredAuditEntry[];
  nextSeq: number | null;
};

export const auditList = defineCommand<Partial<AuditListArgs>, AuditListResult, AuditListArgs>()({
  name: 'audit.list',
  summary: 'A page of audit entries from a seq, as stored.',
  changesState: false,
  errors: [],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['fromSeq', 'limit']);
    return { fromSeq: optUint(m, 'fromSeq', 1), limit: optUint(m, 'limit', 100, 1000) };
  },
});
