// Restore of HD wallets into a new token (the `hsmctl ceremony restore` side, docs/hd-wallets.md):
// each backed-up seed is unwrapped as the token's seed object (sensitive, again wrappable only under a
// trusted key), and once more as a short-lived session object whose value this ceremony process reads
// to re-create the seed's derivation copy under the new token's seed-encryption key and to derive
// again every key the source had derived. Each re-derived key must give the public key recorded in the
// backup. The ceremony process already holds the wrap key that opens these blobs, so reading the seed
// here exposes nothing the ceremony did not hold; the session object is destroyed and buffers zeroed.
import { ApplianceError } from '../../protocol/errors.js';
import { derivePrivate } from '../hd/hd-derivation.js';
import { P11, type Handle, type Pkcs11 } from './module.js';
import { importDerivedKey, seedObjectTemplate, storeSeedCopy, SEED_BYTES } from './hd-seed-objects.js';
import { login, sessionUnwrapKey, withModule, type TokenAccess } from './trusted-wrap.js';
import { pkcs11Code as code } from '../keystore.js';

export interface SeedToRestore {
  walletId: string;
  ckaId: Uint8Array;
  label: string;
  /** CKM_AES_KEY_WRAP_PAD output. */
  wrapped: Uint8Array;
  /** The keys the source derived from this seed, to derive again. */
  keys: { ckaId: Uint8Array; label: string; path: string; publicKey: Uint8Array }[];
}

type Template = { type: number; value: number | boolean | string | Buffer }[];

function unwrap(mod: Pkcs11, session: Handle, unwrapKey: Handle, wrapped: Uint8Array, template: Template, walletId: string): Handle {
  try {
    return mod.C_UnwrapKey(session, { mechanism: P11.CKM_AES_KEY_WRAP_PAD }, unwrapKey, Buffer.from(wrapped), template);
  } catch (err) {
    throw new ApplianceError('bad_request', `the seed of ${walletId} does not unwrap: wrong wrap key or damaged backup`, undefined, { cause: code(err) });
  }
}

/** Unwraps the seeds, re-creates their derivation copies and re-derives their keys. Returns the number of keys derived. */
export function restoreHdSeeds(access: TokenAccess, userPin: string, wrapKey: Uint8Array, seeds: SeedToRestore[]): number {
  if (seeds.length === 0) return 0;
  if (wrapKey.length !== 32) throw new ApplianceError('bad_request', 'the wrap key must be 32 bytes (AES-256)');
  return withModule(access, (mod, slot) => {
    const session = mod.C_OpenSession(slot, P11.CKF_SERIAL_SESSION | P11.CKF_RW_SESSION);
    const value = Buffer.from(wrapKey);
    let derived = 0;
    try {
      login(mod, session, P11.CKU_USER, userPin, 'user');
      const unwrapKey = sessionUnwrapKey(mod, session, value);
      for (const s of seeds) {
        unwrap(mod, session, unwrapKey, s.wrapped, seedObjectTemplate(s.ckaId, s.label) as Template, s.walletId);
        const readable = unwrap(
          mod,
          session,
          unwrapKey,
          s.wrapped,
          [
            { type: P11.CKA_CLASS, value: P11.CKO_SECRET_KEY },
            { type: P11.CKA_KEY_TYPE, value: P11.CKK_GENERIC_SECRET },
            { type: P11.CKA_TOKEN, value: false },
            { type: P11.CKA_PRIVATE, value: true },
            { type: P11.CKA_SENSITIVE, value: false },
            { type: P11.CKA_EXTRACTABLE, value: true },
          ],
          s.walletId,
        );
        let seed: Buffer | undefined;
        try {
          const [attr] = mod.C_GetAttributeValue(session, readable, [{ type: P11.CKA_VALUE }]);
          seed = attr?.value instanceof Buffer ? attr.value : undefined;
          if (!seed || seed.length !== SEED_BYTES) throw new ApplianceError('bad_request', `the seed of ${s.walletId} is not a ${SEED_BYTES}-byte BIP-39 seed`);
          storeSeedCopy(mod, session, s.ckaId, seed);
          for (const k of s.keys) {
            const key = derivePrivate(seed, k.path);
            try {
              if (Buffer.compare(Buffer.from(key.publicKey), Buffer.from(k.publicKey)) !== 0)
                throw new ApplianceError('internal', `the key re-derived at ${k.path} of ${s.walletId} does not match its recorded public key`);
              importDerivedKey(mod, session, k.ckaId, k.label, key.privateKey, key.publicKey);
              derived++;
            } finally {
              key.privateKey.fill(0);
            }
          }
        } finally {
          seed?.fill(0);
          mod.C_DestroyObject(session, readable);
        }
      }
      return derived;
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
