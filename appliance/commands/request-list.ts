// request.list (protocol/commands/request-list.ts): the pending requests, newest first, each as
// request.get answers it plus what this appliance decoded when it held it, read back from its own
// audit entry (the entry the pending answer names by auditSeq) and the whitelist's labels for the
// recipient. A viewer sees what request.get would show it: an approver, admin or auditor every
// pending request, a requester its own, a viewer without the role it names nothing.
import type { CborMap, CborValue } from '../../protocol/cbor.js';
import { decodeCanonical } from '../../protocol/cbor.js';
import type { DecodedRequest, RequestListArgs, RequestListResult } from '../../protocol/commands/request-list.js';
import type { PolicyReason } from '../../protocol/commands/signing-answer.js';
import { decodeCoseSign1 } from '../../attestation/cose-sign1.js';
import { rolesOf } from '../../firmware-policy/principals.js';
import { groupOf } from '../../firmware-policy/policy-document.js';
import type { Device } from '../device.js';
import { requestView } from '../request-view.js';

export async function requestList(dev: Device, { limit, after, viewer }: RequestListArgs): Promise<RequestListResult> {
  if (viewer && !rolesOf(dev.policies.current().doc, viewer.id).includes(viewer.role)) return { requests: [], next: null };
  const requester = viewer?.role === 'requester' ? viewer.id : null;
  const last = after === null ? undefined : dev.requests.get(after);
  const cursor = last ? { createdAt: last.createdAt, requestId: last.requestId } : null;
  // One more than asked tells whether another page follows.
  const ids = dev.requests.pendingIds(requester, after !== null && !cursor ? { createdAt: -1, requestId: '' } : cursor, limit + 1);
  const page = ids.slice(0, limit);
  const requests = page.flatMap((id) => {
    const rec = dev.requests.get(id);
    if (!rec) return [];
    const view = requestView(dev, rec);
    return [{ ...view, decoded: 'auditSeq' in view ? decodedFrom(dev, view.auditSeq) : null }];
  });
  return { requests, next: ids.length > limit ? (page[page.length - 1] ?? null) : null };
}

const isMap = (v: CborValue | undefined): v is CborMap => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Map);

/** What the audit entry at `seq` records of the decision: intent, key group, reasons, recipient labels. */
function decodedFrom(dev: Device, seq: number): DecodedRequest | null {
  const stored = dev.audit.list(seq, 1)[0];
  if (stored?.seq !== seq) return null;
  const payload = decodeCanonical(decodeCoseSign1(stored.entry).payload ?? new Uint8Array());
  if (!isMap(payload)) return null;
  const intent = isMap(payload.intent) ? payload.intent : null;
  const typed: CborMap | null =
    typeof payload.primaryType === 'string'
      ? { primaryType: payload.primaryType, domain: payload.domain ?? null, classification: payload.classification ?? null, transfer: payload.transfer ?? null }
      : null;
  const to = intent?.to;
  const chainId = intent?.chainId;
  const labels = to instanceof Uint8Array && (typeof chainId === 'number' || typeof chainId === 'bigint') ? dev.whitelist.labels(BigInt(chainId), to) : [];
  return {
    auditSeq: seq,
    keyGroup: typeof payload.keyGroup === 'string' ? payload.keyGroup : null,
    policyVersion: typeof payload.policyVersion === 'number' ? payload.policyVersion : null,
    intent,
    typed,
    reasons: Array.isArray(payload.reasons) ? (payload.reasons.filter(isMap) as PolicyReason[]) : [],
    recipientLabels: labels,
    decimals: assetDecimals(dev, typeof payload.keyGroup === 'string' ? payload.keyGroup : null, intent?.asset),
  };
}

/** The active policy's decimals for the asset in the key group; a native coin has 18 when the policy names none. */
function assetDecimals(dev: Device, keyGroup: string | null, asset: CborValue | undefined): number | null {
  if (typeof asset !== 'string') return null;
  const rules = keyGroup === null ? undefined : groupOf(dev.policies.current().doc, keyGroup)?.assets[asset];
  if (rules?.decimals !== undefined) return rules.decimals;
  return asset.endsWith(':native') ? 18 : null;
}
