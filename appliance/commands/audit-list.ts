// audit.list: a page of audit entries from a seq, as stored (canonical CBOR bytes and their hash).
import type { CborMap } from '../../protocol/cbor.js';
import { onlyKeys, optUint } from '../../protocol/args.js';
import type { Device } from '../device.js';

export async function auditList(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['fromSeq', 'limit']);
  const entries = dev.audit.list(optUint(args, 'fromSeq', 1), optUint(args, 'limit', 100, 1000));
  const head = dev.audit.head();
  return { headSeq: head.seq, headHash: head.hash, entries: entries.map((e) => ({ seq: e.seq, hash: e.hash, entry: e.entry })) };
}
