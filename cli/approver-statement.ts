// Signing what a bridge answer asks a person to sign: the statement of a pending request (approval),
// of a pending whitelist or policy proposal (admin approval) or of a device-time challenge. An answer
// that is not pending (signed, denied, accepted, active, cancelled…), an error answer, or one without
// a statement is refused with a typed error saying what it is, so nothing empty is ever posted.
import { ApplianceError } from '../protocol/errors.js';
import { jsonHex, jsonObject, jsonUint } from '../host-bridge/json-cbor.js';
import { encodeApprovalStatement } from '../firmware-policy/approvals/statement.js';
import { encodeWhitelistStatement } from '../firmware-policy/whitelist-governance.js';
import { encodePolicyChangeStatement } from '../firmware-policy/policy-governance.js';
import { encodeTimeStatement } from '../firmware-policy/time-statement.js';
import { signStatement, type ApproverKeyFile } from './approver-key.js';
import { bridgeProblem } from './bridge-connection.js';

const hex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');

/** Statuses whose answer still waits for signatures (a request or proposal); device-time answers carry none. */
const SIGNABLE = new Set(['pending', 'pending_approval']);

/** Refuses an answer that has nothing to sign, saying what it is instead. */
export function signableStatement(doc: Record<string, unknown>): Record<string, unknown> {
  const e = bridgeProblem(doc);
  if (e !== undefined) throw new ApplianceError('bad_request', `the input is an error answer (${e.code ?? '?'}: ${e.message ?? ''}), not something to sign`);
  const what = typeof doc.requestId === 'string' ? `request ${doc.requestId}` : typeof doc.proposalId === 'string' ? `proposal ${doc.proposalId}` : 'the input';
  if (typeof doc.status === 'string' && !SIGNABLE.has(doc.status)) {
    throw new ApplianceError('conflict', `${what} is ${doc.status}, not pending: there is nothing to approve`, { status: doc.status });
  }
  if (doc.statement === undefined || doc.statement === null)
    throw new ApplianceError('bad_request', `${what} carries no statement to sign (give the answer of a pending request or proposal, or of GET /v1/device/time)`);
  return jsonObject(doc.statement, 'statement');
}

/** The approval body to post for `doc`'s statement, signed with `key`, expiring at `expiresAt`. */
export function approveStatement(key: ApproverKeyFile, doc: Record<string, unknown>, expiresAt: number, time?: string): Record<string, unknown> {
  const st = signableStatement(doc);
  const sig = (statement: Uint8Array) => hex(signStatement(key, statement));
  if (st.type === 'approval') {
    const statement = encodeApprovalStatement({ deviceId: String(st.deviceId), intentDigest: jsonHex(st.intentDigest, 'statement.intentDigest', 32), approverId: key.id, expiresAt });
    return { approverId: key.id, expiresAt, signature: sig(statement) };
  }
  if (st.type === 'whitelist-add') {
    const proposal = {
      id: String(st.proposalId),
      group: String(st.group),
      chainId: jsonUint(st.chainId, 'statement.chainId'),
      address: jsonHex(st.address, 'statement.address', 20),
      label: String(st.label ?? ''),
      proposedBy: '',
    };
    return { adminId: key.id, expiresAt, signature: sig(encodeWhitelistStatement(String(st.deviceId), proposal, key.id, expiresAt)) };
  }
  if (st.type === 'policy-change') {
    const ref = { id: String(st.proposalId), version: Number(st.version), hash: jsonHex(st.hash, 'statement.hash', 32), proposedBy: '' };
    return { adminId: key.id, expiresAt, signature: sig(encodePolicyChangeStatement(String(st.deviceId), ref, key.id, expiresAt)) };
  }
  if (st.type === 'device-time') {
    // The admin attests the time their own clock reads (or --time): check it before signing.
    const t = time === undefined ? Math.floor(Date.now() / 1000) : Number(jsonUint(time, '--time'));
    const nonce = jsonHex(st.nonce, 'statement.nonce', 16);
    return { time: t, nonce: hex(nonce), adminId: key.id, expiresAt, signature: sig(encodeTimeStatement(String(st.deviceId), { nonce, time: t }, key.id, expiresAt)) };
  }
  throw new ApplianceError('bad_request', 'input has no approval, whitelist-add, policy-change or device-time statement');
}
