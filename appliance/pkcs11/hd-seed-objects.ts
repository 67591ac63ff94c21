// The token objects of an HD wallet (docs/hd-wallets.md), as plain PKCS#11 calls on a session:
//   - the seed: CKO_SECRET_KEY / CKK_GENERIC_SECRET, sensitive (CKA_VALUE unreadable), extractable
//     only wrapped under a key the SO marked trusted (CKA_WRAP_WITH_TRUSTED): the backup form;
//   - the seed's derivation copy: the same 64 bytes encrypted (CKM_AES_GCM, the seed's CKA_ID as
//     additional data) under the device's seed-encryption key, an AES-256 token key that is sensitive,
//     non-extractable and can only encrypt and decrypt; the copy is a private data object;
//   - derived keys: secp256k1 private keys imported with their value, sensitive, NOT extractable, able
//     only to sign; their public keys beside them, as for generated keys.
// PKCS#11 has no BIP-32 mechanism, so derivation needs the seed in the process: C_Decrypt of the copy
// is the one place it comes out, and the caller zeroes it. The seed object itself never leaves the
// token except trusted-wrapped at a backup ceremony.
import { createHash } from 'node:crypto';
import { ApplianceError } from '../../protocol/errors.js';
import { P11, type Handle, type Pkcs11 } from './module.js';
import { createSecp256k1PublicKey, SECP256K1_PARAMS } from './secp256k1-objects.js';

/** secp256k1 curve OID 1.3.132.0.10, DER-encoded, as CKA_EC_PARAMS. */
const SEED_COPY_APPLICATION = 'hsm-signer hd seed copy';
const ENCRYPTION_KEY_LABEL = 'hd-seed-encryption';
/** CKA_ID of the device's seed-encryption key. */
const ENCRYPTION_KEY_ID = createHash('sha256').update('hd-seed-encryption').digest().subarray(0, 16);
const GCM_IV_BYTES = 12;
export const SEED_BYTES = 64;

type Template = { type: number; value?: number | boolean | string | Buffer }[];

/** Bytes from the token's random generator (C_GenerateRandom). */
export function tokenRandom(mod: Pkcs11, session: Handle, n: number): Buffer {
  return mod.C_GenerateRandom(session, Buffer.alloc(n));
}

function findOne(mod: Pkcs11, session: Handle, template: Template): Handle | undefined {
  mod.C_FindObjectsInit(session, template as { type: number; value: number | boolean | string | Buffer }[]);
  try {
    return mod.C_FindObjects(session, 1)[0];
  } finally {
    mod.C_FindObjectsFinal(session);
  }
}

/** The attributes of a seed object, for creation and for unwrapping at a restore. */
export function seedObjectTemplate(ckaId: Uint8Array, label: string): Template {
  return [
    { type: P11.CKA_CLASS, value: P11.CKO_SECRET_KEY },
    { type: P11.CKA_KEY_TYPE, value: P11.CKK_GENERIC_SECRET },
    { type: P11.CKA_TOKEN, value: true },
    { type: P11.CKA_PRIVATE, value: true },
    { type: P11.CKA_SENSITIVE, value: true },
    { type: P11.CKA_EXTRACTABLE, value: true },
    { type: P11.CKA_WRAP_WITH_TRUSTED, value: true },
    { type: P11.CKA_SIGN, value: false },
    { type: P11.CKA_VERIFY, value: false },
    { type: P11.CKA_ENCRYPT, value: false },
    { type: P11.CKA_DECRYPT, value: false },
    { type: P11.CKA_WRAP, value: false },
    { type: P11.CKA_UNWRAP, value: false },
    { type: P11.CKA_DERIVE, value: false },
    { type: P11.CKA_COPYABLE, value: false },
    { type: P11.CKA_LABEL, value: label },
    { type: P11.CKA_ID, value: Buffer.from(ckaId) },
  ];
}

/** Stores a seed as a sensitive, trusted-wrap-only secret object (the backup form). */
export function createSeedObject(mod: Pkcs11, session: Handle, ckaId: Uint8Array, label: string, seed: Uint8Array): void {
  if (seed.length !== SEED_BYTES) throw new ApplianceError('internal', `a BIP-39 seed is ${SEED_BYTES} bytes`);
  const value = Buffer.from(seed);
  try {
    mod.C_CreateObject(session, [...seedObjectTemplate(ckaId, label), { type: P11.CKA_VALUE, value }] as { type: number; value: number | boolean | string | Buffer }[]);
  } finally {
    value.fill(0);
  }
}

/** The seed object with this CKA_ID, if the token holds it. */
export function findSeedObject(mod: Pkcs11, session: Handle, ckaId: Uint8Array): Handle | undefined {
  return findOne(mod, session, [
    { type: P11.CKA_CLASS, value: P11.CKO_SECRET_KEY },
    { type: P11.CKA_KEY_TYPE, value: P11.CKK_GENERIC_SECRET },
    { type: P11.CKA_ID, value: Buffer.from(ckaId) },
  ]);
}

/** The device's seed-encryption key, generated in the token the first time a seed is stored. */
function seedEncryptionKey(mod: Pkcs11, session: Handle, create: boolean): Handle {
  const found = findOne(mod, session, [
    { type: P11.CKA_CLASS, value: P11.CKO_SECRET_KEY },
    { type: P11.CKA_KEY_TYPE, value: P11.CKK_AES },
    { type: P11.CKA_ID, value: ENCRYPTION_KEY_ID },
  ]);
  if (found !== undefined) return found;
  if (!create) throw new ApplianceError('unavailable', 'the token holds no HD seed-encryption key');
  return mod.C_GenerateKey(session, { mechanism: P11.CKM_AES_KEY_GEN }, [
    { type: P11.CKA_CLASS, value: P11.CKO_SECRET_KEY },
    { type: P11.CKA_KEY_TYPE, value: P11.CKK_AES },
    { type: P11.CKA_VALUE_LEN, value: 32 },
    { type: P11.CKA_TOKEN, value: true },
    { type: P11.CKA_PRIVATE, value: true },
    { type: P11.CKA_SENSITIVE, value: true },
    { type: P11.CKA_EXTRACTABLE, value: false },
    { type: P11.CKA_ENCRYPT, value: true },
    { type: P11.CKA_DECRYPT, value: true },
    { type: P11.CKA_WRAP, value: false },
    { type: P11.CKA_UNWRAP, value: false },
    { type: P11.CKA_SIGN, value: false },
    { type: P11.CKA_VERIFY, value: false },
    { type: P11.CKA_DERIVE, value: false },
    { type: P11.CKA_MODIFIABLE, value: false },
    { type: P11.CKA_COPYABLE, value: false },
    { type: P11.CKA_LABEL, value: ENCRYPTION_KEY_LABEL },
    { type: P11.CKA_ID, value: ENCRYPTION_KEY_ID },
  ]);
}

function gcm(iv: Buffer, ckaId: Uint8Array) {
  return { mechanism: P11.CKM_AES_GCM, parameter: { type: P11.CK_PARAMS_AES_GCM, iv, ivBits: GCM_IV_BYTES * 8, aad: Buffer.from(ckaId), tagBits: 128 } };
}

/** Encrypts the seed under the seed-encryption key and stores the result as the seed's derivation copy. */
export function storeSeedCopy(mod: Pkcs11, session: Handle, ckaId: Uint8Array, seed: Uint8Array): void {
  const key = seedEncryptionKey(mod, session, true);
  const iv = tokenRandom(mod, session, GCM_IV_BYTES);
  const plain = Buffer.from(seed);
  let sealed: Buffer;
  try {
    mod.C_EncryptInit(session, gcm(iv, ckaId), key);
    sealed = mod.C_Encrypt(session, plain, Buffer.alloc(SEED_BYTES + 16));
  } finally {
    plain.fill(0);
  }
  mod.C_CreateObject(session, [
    { type: P11.CKA_CLASS, value: P11.CKO_DATA },
    { type: P11.CKA_TOKEN, value: true },
    { type: P11.CKA_PRIVATE, value: true },
    { type: P11.CKA_APPLICATION, value: SEED_COPY_APPLICATION },
    { type: P11.CKA_LABEL, value: Buffer.from(ckaId).toString('hex') },
    { type: P11.CKA_VALUE, value: Buffer.concat([iv, sealed]) },
  ]);
}

/**
 * Decrypts the seed's derivation copy (C_Decrypt in the token; the plaintext comes back to this
 * process). The caller zeroes the returned buffer as soon as the derivation is done.
 */
export function decryptSeed(mod: Pkcs11, session: Handle, ckaId: Uint8Array): Buffer {
  const copy = findOne(mod, session, [
    { type: P11.CKA_CLASS, value: P11.CKO_DATA },
    { type: P11.CKA_APPLICATION, value: SEED_COPY_APPLICATION },
    { type: P11.CKA_LABEL, value: Buffer.from(ckaId).toString('hex') },
  ]);
  if (copy === undefined) throw new ApplianceError('not_found', 'the token holds no copy of this HD seed');
  const [attr] = mod.C_GetAttributeValue(session, copy, [{ type: P11.CKA_VALUE }]);
  const stored = attr?.value;
  if (!(stored instanceof Buffer) || stored.length !== GCM_IV_BYTES + SEED_BYTES + 16) throw new ApplianceError('internal', 'the HD seed copy has an unexpected size');
  const key = seedEncryptionKey(mod, session, false);
  mod.C_DecryptInit(session, gcm(stored.subarray(0, GCM_IV_BYTES), ckaId), key);
  const out = Buffer.alloc(SEED_BYTES + 16);
  const seed = mod.C_Decrypt(session, stored.subarray(GCM_IV_BYTES), out);
  if (seed.length !== SEED_BYTES) {
    out.fill(0);
    throw new ApplianceError('internal', 'the HD seed copy did not decrypt to a seed');
  }
  return seed;
}

/**
 * Imports a derived secp256k1 private key: sensitive, never extractable (the seed, not the key, is
 * what a backup carries), able only to sign; and its public key. Zeroes `privateKey`.
 */
export function importDerivedKey(mod: Pkcs11, session: Handle, ckaId: Uint8Array, label: string, privateKey: Uint8Array, publicKey: Uint8Array): Handle {
  const value = Buffer.from(privateKey);
  privateKey.fill(0);
  let priv: Handle;
  try {
    priv = mod.C_CreateObject(session, [
      { type: P11.CKA_CLASS, value: P11.CKO_PRIVATE_KEY },
      { type: P11.CKA_KEY_TYPE, value: P11.CKK_EC },
      { type: P11.CKA_TOKEN, value: true },
      { type: P11.CKA_PRIVATE, value: true },
      { type: P11.CKA_SENSITIVE, value: true },
      { type: P11.CKA_EXTRACTABLE, value: false },
      { type: P11.CKA_SIGN, value: true },
      { type: P11.CKA_DERIVE, value: false },
      { type: P11.CKA_COPYABLE, value: false },
      { type: P11.CKA_EC_PARAMS, value: SECP256K1_PARAMS },
      { type: P11.CKA_VALUE, value },
      { type: P11.CKA_LABEL, value: label },
      { type: P11.CKA_ID, value: Buffer.from(ckaId) },
    ]);
  } finally {
    value.fill(0);
  }
  createSecp256k1PublicKey(mod, session, ckaId, label, publicKey);
  return priv;
}

/** What the token says of a seed object, and what it answers to reading its value or wrapping it under an untrusted key (for tests of the protection). */
export interface SeedProtection {
  sensitive: boolean;
  extractable: boolean;
  wrapWithTrusted: boolean;
  /** The PKCS#11 return code of C_GetAttributeValue(CKA_VALUE): a correct token refuses. */
  readValue: string;
  /** The return code of C_WrapKey under a fresh untrusted session AES key: a correct token refuses. */
  wrapUntrusted: string;
}

export function seedProtection(mod: Pkcs11, session: Handle, ckaId: Uint8Array, codeOf: (err: unknown) => string): SeedProtection {
  const seed = findSeedObject(mod, session, ckaId);
  if (seed === undefined) throw new ApplianceError('not_found', 'no such HD seed on the token');
  const attrs = mod.C_GetAttributeValue(session, seed, [{ type: P11.CKA_SENSITIVE }, { type: P11.CKA_EXTRACTABLE }, { type: P11.CKA_WRAP_WITH_TRUSTED }]);
  const flag = (i: number) => {
    const v = attrs[i]?.value;
    return v instanceof Buffer ? v[0] === 1 : Boolean(v);
  };
  const attempt = (fn: () => unknown): string => {
    try {
      fn();
      return 'CKR_OK';
    } catch (err) {
      return codeOf(err);
    }
  };
  const readValue = attempt(() => mod.C_GetAttributeValue(session, seed, [{ type: P11.CKA_VALUE }]));
  const wrapper = mod.C_GenerateKey(session, { mechanism: P11.CKM_AES_KEY_GEN }, [
    { type: P11.CKA_CLASS, value: P11.CKO_SECRET_KEY },
    { type: P11.CKA_KEY_TYPE, value: P11.CKK_AES },
    { type: P11.CKA_VALUE_LEN, value: 32 },
    { type: P11.CKA_TOKEN, value: false },
    { type: P11.CKA_WRAP, value: true },
  ]);
  try {
    const wrapUntrusted = attempt(() => mod.C_WrapKey(session, { mechanism: P11.CKM_AES_KEY_WRAP_PAD }, wrapper, seed, Buffer.alloc(4096)));
    return { sensitive: flag(0), extractable: flag(1), wrapWithTrusted: flag(2), readValue, wrapUntrusted };
  } finally {
    mod.C_DestroyObject(session, wrapper);
  }
}
