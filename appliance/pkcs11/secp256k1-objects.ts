// What the token needs to hold a secp256k1 key made outside C_GenerateKeyPair (a restored or a
// derived key): the curve's parameters (its OID, DER) and the public key object beside the private one.
import { P11, type Handle, type Pkcs11 } from './module.js';

/** CKA_EC_PARAMS of secp256k1: the DER of its OID 1.3.132.0.10. */
export const SECP256K1_PARAMS = Buffer.from('06052b8104000a', 'hex');

/** Creates the public key object (verify only, not private) with the private key's CKA_ID and label. */
export function createSecp256k1PublicKey(mod: Pkcs11, session: Handle, ckaId: Uint8Array, label: string, publicKey: Uint8Array): Handle {
  return mod.C_CreateObject(session, [
    { type: P11.CKA_CLASS, value: P11.CKO_PUBLIC_KEY },
    { type: P11.CKA_KEY_TYPE, value: P11.CKK_EC },
    { type: P11.CKA_TOKEN, value: true },
    { type: P11.CKA_PRIVATE, value: false },
    { type: P11.CKA_VERIFY, value: true },
    { type: P11.CKA_EC_PARAMS, value: SECP256K1_PARAMS },
    { type: P11.CKA_EC_POINT, value: Buffer.concat([Buffer.from([0x04, publicKey.length]), Buffer.from(publicKey)]) },
    { type: P11.CKA_LABEL, value: label },
    { type: P11.CKA_ID, value: Buffer.from(ckaId) },
  ]);
}
