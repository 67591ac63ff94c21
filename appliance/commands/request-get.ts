// request.get: the stored state and response of a request, by its id.
import { decodeCanonical, type CborMap } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { asMap, onlyKeys, str } from '../../protocol/args.js';
import type { Device } from '../device.js';

export async function requestGet(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['requestId']);
  const rec = dev.requests.get(str(args, 'requestId', 128));
  if (!rec) throw new ApplianceError('not_found', 'no such request');
  const response = rec.response ? asMap(decodeCanonical(rec.response), 'response') : { status: 'signing', requestId: rec.requestId };
  return {
    ...response,
    requester: rec.requester,
    createdAt: rec.createdAt,
    updatedAt: rec.updatedAt,
    approvals: dev.requests.approvals(rec.requestId).map((a) => ({ approverId: a.approverId, expiresAt: a.expiresAt })),
  };
}
