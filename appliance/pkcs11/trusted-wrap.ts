// Key backup through the token's own trusted-wrap mechanism (PKCS#11 CKA_WRAP_WITH_TRUSTED).
//
// Signing keys are generated with CKA_WRAP_WITH_TRUSTED true: the token refuses to wrap them under
// any key that is not CKA_TRUSTED, and only the security officer can set CKA_TRUSTED. So a backup
// needs the SO: the SO session imports the ceremony's wrap key as a trusted, public *session* object
// (never a token object, so it is never written to the token directory), the user session wraps each
// key with CKM_AES_KEY_WRAP_PAD (RFC 5649), and closing the sessions destroys the wrap key.
// Restore is the reverse on a new token: an ordinary user session key unwraps (unwrapping needs no
// trust), and the keys come back sensitive and again wrappable only under a trusted key.
//
// These run in a ceremony process while no key store of this process has the module open.
import { ApplianceError } from '../../protocol/errors.js';
import { closeModule, findTokenSlot, openModule, P11, type Handle, type Pkcs11 } from './module.js';
import { createSecp256k1PublicKey } from './secp256k1-objects.js';
import { pkcs11Code as code } from '../keystore.js';

/** secp256k1 curve OID 1.3.132.0.10, DER-encoded, as CKA_EC_PARAMS. */

export interface TokenAccess {
  modulePath: string;
  tokenLabel: string;
}

export interface KeyToRestore {
  ckaId: Uint8Array;
  label: string;
  /** Uncompressed SEC1 point (65 bytes) recorded in the backup. */
  publicKey: Uint8Array;
  /** CKM_AES_KEY_WRAP_PAD output. */
  wrapped: Uint8Array;
}

export function withModule<T>(access: TokenAccess, fn: (mod: Pkcs11, slot: Handle) => T): T {
  const mod = openModule(access.modulePath);
  try {
    return fn(mod, findTokenSlot(mod, access.tokenLabel));
  } finally {
    closeModule(mod);
  }
}

export function login(mod: Pkcs11, session: Handle, who: number, pin: string, role: string): void {
  try {
    mod.C_Login(session, who, pin);
  } catch (err) {
    throw new ApplianceError('unauthorized', `token login as ${role} failed`, { cause: code(err) });
  }
}

function findPrivateKey(mod: Pkcs11, session: Handle, ckaId: Uint8Array, cls: number = P11.CKO_PRIVATE_KEY): Handle {
  mod.C_FindObjectsInit(session, [
    { type: P11.CKA_CLASS, value: cls },
    { type: P11.CKA_ID, value: Buffer.from(ckaId) },
  ]);
  try {
    const [h] = mod.C_FindObjects(session, 1);
    if (h === undefined) throw new ApplianceError('not_found', `no ${cls === P11.CKO_PRIVATE_KEY ? 'private key' : 'HD seed'} with CKA_ID ${Buffer.from(ckaId).toString('hex')} on the token`);
    return h;
  } finally {
    mod.C_FindObjectsFinal(session);
  }
}

/**
 * Wraps each key, then each HD seed (secret objects, appliance/pkcs11/hd-seed-objects.ts), under
 * `wrapKey` made trusted by the SO. Returns the wrapped blobs in the order of `ckaIds` then
 * `seedCkaIds`. The caller owns `wrapKey` and clears it.
 */
export function wrapUnderTrustedKey(access: TokenAccess, pins: { so: string; user: string }, wrapKey: Uint8Array, ckaIds: Uint8Array[], seedCkaIds: Uint8Array[] = []): Uint8Array[] {
  if (wrapKey.length !== 32) throw new ApplianceError('bad_request', 'the wrap key must be 32 bytes (AES-256)');
  return withModule(access, (mod, slot) => {
    const flags = P11.CKF_SERIAL_SESSION | P11.CKF_RW_SESSION;
    const soSession = mod.C_OpenSession(slot, flags);
    const value = Buffer.from(wrapKey);
    try {
      login(mod, soSession, P11.CKU_SO, pins.so, 'security officer');
      let trusted: Handle;
      try {
        trusted = mod.C_CreateObject(soSession, [
          { type: P11.CKA_CLASS, value: P11.CKO_SECRET_KEY },
          { type: P11.CKA_KEY_TYPE, value: P11.CKK_AES },
          { type: P11.CKA_TOKEN, value: false },
          { type: P11.CKA_PRIVATE, value: false },
          { type: P11.CKA_TRUSTED, value: true },
          { type: P11.CKA_WRAP, value: true },
          { type: P11.CKA_UNWRAP, value: false },
          { type: P11.CKA_ENCRYPT, value: false },
          { type: P11.CKA_DECRYPT, value: false },
          { type: P11.CKA_SENSITIVE, value: true },
          { type: P11.CKA_EXTRACTABLE, value: false },
          { type: P11.CKA_LABEL, value: 'backup-wrap (session)' },
          { type: P11.CKA_VALUE, value },
        ]);
      } finally {
        value.fill(0);
      }
      // The SO and the user cannot be logged in at once; the public session object outlives the SO
      // login for as long as the SO's session stays open.
      mod.C_Logout(soSession);
      const userSession = mod.C_OpenSession(slot, flags);
      try {
        login(mod, userSession, P11.CKU_USER, pins.user, 'user');
        const objects = [...ckaIds.map((id) => ({ id, cls: P11.CKO_PRIVATE_KEY })), ...seedCkaIds.map((id) => ({ id, cls: P11.CKO_SECRET_KEY }))];
        return objects.map(({ id, cls }) => {
          const key = findPrivateKey(mod, userSession, id, cls);
          try {
            return new Uint8Array(mod.C_WrapKey(userSession, { mechanism: P11.CKM_AES_KEY_WRAP_PAD }, trusted, key, Buffer.alloc(4096)));
          } catch (err) {
            throw new ApplianceError('internal', `the token refused to wrap key ${Buffer.from(id).toString('hex')}`, undefined, { cause: code(err) });
          }
        });
      } finally {
        try {
          mod.C_Logout(userSession);
        } catch {
          /* closing anyway */
        }
        mod.C_CloseSession(userSession);
      }
    } finally {
      // Closing the SO's session destroys the trusted session key.
      mod.C_CloseSession(soSession);
    }
  });
}

/**
 * The backup's wrap key as a session object of the token that can only unwrap (sensitive, not
 * extractable, gone with the session). Zeroes `value`, the key's bytes, whatever happens.
 */
export function sessionUnwrapKey(mod: Pkcs11, session: Handle, value: Buffer): Handle {
  try {
    return mod.C_CreateObject(session, [
      { type: P11.CKA_CLASS, value: P11.CKO_SECRET_KEY },
      { type: P11.CKA_KEY_TYPE, value: P11.CKK_AES },
      { type: P11.CKA_TOKEN, value: false },
      { type: P11.CKA_PRIVATE, value: true },
      { type: P11.CKA_UNWRAP, value: true },
      { type: P11.CKA_WRAP, value: false },
      { type: P11.CKA_SENSITIVE, value: true },
      { type: P11.CKA_EXTRACTABLE, value: false },
      { type: P11.CKA_VALUE, value },
    ]);
  } finally {
    value.fill(0);
  }
}

/**
 * Unwraps the backed-up keys into this (new) token as token objects with their original CKA_ID and
 * label, recreates their public keys from the backup, and signs `probe` (32 bytes) with each restored
 * private key so the caller can check it matches the recorded public key. Returns raw r||s per key.
 */
export function unwrapIntoToken(access: TokenAccess, userPin: string, wrapKey: Uint8Array, keys: KeyToRestore[], probe: Uint8Array): Uint8Array[] {
  if (wrapKey.length !== 32) throw new ApplianceError('bad_request', 'the wrap key must be 32 bytes (AES-256)');
  return withModule(access, (mod, slot) => {
    const session = mod.C_OpenSession(slot, P11.CKF_SERIAL_SESSION | P11.CKF_RW_SESSION);
    const value = Buffer.from(wrapKey);
    try {
      login(mod, session, P11.CKU_USER, userPin, 'user');
      const unwrapKey = sessionUnwrapKey(mod, session, value);
      return keys.map((k) => {
        let priv: Handle;
        try {
          priv = mod.C_UnwrapKey(session, { mechanism: P11.CKM_AES_KEY_WRAP_PAD }, unwrapKey, Buffer.from(k.wrapped), [
            { type: P11.CKA_CLASS, value: P11.CKO_PRIVATE_KEY },
            { type: P11.CKA_KEY_TYPE, value: P11.CKK_EC },
            { type: P11.CKA_TOKEN, value: true },
            { type: P11.CKA_PRIVATE, value: true },
            { type: P11.CKA_SENSITIVE, value: true },
            { type: P11.CKA_EXTRACTABLE, value: true },
            { type: P11.CKA_WRAP_WITH_TRUSTED, value: true },
            { type: P11.CKA_SIGN, value: true },
            { type: P11.CKA_DERIVE, value: false },
            // SoftHSM2 refuses CKA_MODIFIABLE false on an unwrapped (or copied) key with
            // CKR_ATTRIBUTE_READ_ONLY; the attributes that guard the key (SENSITIVE, WRAP_WITH_TRUSTED)
            // can only be tightened by PKCS#11 rules anyway.
            { type: P11.CKA_COPYABLE, value: false },
            { type: P11.CKA_LABEL, value: k.label },
            { type: P11.CKA_ID, value: Buffer.from(k.ckaId) },
          ]);
        } catch (err) {
          // AES-KWP has an integrity check: a wrong wrap key or a damaged blob fails here.
          throw new ApplianceError('bad_request', `key ${Buffer.from(k.ckaId).toString('hex')} does not unwrap: wrong wrap key or damaged backup`, undefined, { cause: code(err) });
        }
        createSecp256k1PublicKey(mod, session, k.ckaId, k.label, k.publicKey);
        mod.C_SignInit(session, { mechanism: P11.CKM_ECDSA }, priv);
        return new Uint8Array(mod.C_Sign(session, Buffer.from(probe), Buffer.alloc(64)));
      });
    } finally {
      try {
        mod.C_Logout(session);
      } catch {
        /* closing anyway */
      }
      mod.C_CloseSession(session);
    }
  });
}
