// The body of POST /v1/requests/{id}/approvals: an approver's id, expiry and either a key-file
// signature (`signature`, 0x hex) or a passkey assertion (`webauthn`: authenticatorData,
// clientDataJSON and signature, each 0x hex). The bridge only re-encodes the assertion as the
// canonical CBOR map request.approve carries in `signature`; the appliance verifies it.
import { encodeCanonical } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';
import { MAX_APPROVAL_SIGNATURE_BYTES } from '../protocol/commands/request-approve.js';
import { jsonHex, jsonObject, jsonString, jsonUint } from './json-cbor.js';

export interface ApproverApprovalBody {
  approverId: string;
  expiresAt: number;
  signature: Uint8Array;
}

export function approverApprovalBody(b: Record<string, unknown>): ApproverApprovalBody {
  const approverId = jsonString(b.approverId, 'approverId', 128);
  const expiresAt = Number(jsonUint(b.expiresAt, 'expiresAt'));
  if ((b.signature === undefined) === (b.webauthn === undefined)) {
    throw new ApplianceError('bad_request', 'an approval carries "signature" (key file) or "webauthn" (passkey assertion), exactly one', { field: 'signature' });
  }
  if (b.signature !== undefined) return { approverId, expiresAt, signature: jsonHex(b.signature, 'signature') };
  const w = jsonObject(b.webauthn, 'webauthn');
  for (const k of Object.keys(w)) {
    if (!['authenticatorData', 'clientDataJSON', 'signature'].includes(k)) throw new ApplianceError('bad_request', `"webauthn.${k}" is not a known field`, { field: `webauthn.${k}` });
  }
  const signature = encodeCanonical({
    authenticatorData: jsonHex(w.authenticatorData, 'webauthn.authenticatorData', undefined, MAX_APPROVAL_SIGNATURE_BYTES),
    clientDataJSON: jsonHex(w.clientDataJSON, 'webauthn.clientDataJSON', undefined, MAX_APPROVAL_SIGNATURE_BYTES),
    signature: jsonHex(w.signature, 'webauthn.signature', undefined, MAX_APPROVAL_SIGNATURE_BYTES),
  });
  return { approverId, expiresAt, signature };
}
