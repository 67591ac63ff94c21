// The passkey approvers of the appliance's ACTIVE policy, read from policy.get's document: each
// approver entry with alg "WebAuthn" (id, COSE_Key, credential id, rpId, origins). The console signs
// an approver in only with a credential the admins enrolled there; the bridge keeps no list of its own.
import type { CborMap, CborValue } from '../../protocol/cbor.js';
import type { WebAuthnCredential } from '../../firmware-policy/approvals/webauthn.js';

export interface PasskeyApprover extends WebAuthnCredential {
  id: string;
  publicKey: Uint8Array;
}

/** Bytes as the document holds them (CBOR bytes), or as 0x-hex when a JSON form was stored. */
function bytesOf(v: CborValue | undefined): Uint8Array | undefined {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string' && /^0x([0-9a-fA-F]{2})+$/.test(v)) return new Uint8Array(Buffer.from(v.slice(2), 'hex'));
  return undefined;
}

export function passkeyApprovers(document: CborMap | undefined): PasskeyApprover[] {
  const list = document?.approvers;
  if (!Array.isArray(list)) return [];
  const out: PasskeyApprover[] = [];
  for (const e of list) {
    if (e === null || typeof e !== 'object' || Array.isArray(e) || e instanceof Uint8Array || e instanceof Map) continue;
    const m = e as CborMap;
    if (m.alg !== 'WebAuthn' || typeof m.id !== 'string' || typeof m.rpId !== 'string' || !Array.isArray(m.origins)) continue;
    const publicKey = bytesOf(m.publicKey);
    const credentialId = bytesOf(m.credentialId);
    if (!publicKey || !credentialId) continue;
    out.push({ id: m.id, publicKey, credentialId, rpId: m.rpId, origins: m.origins.filter((o): o is string => typeof o === 'string') });
  }
  return out;
}
