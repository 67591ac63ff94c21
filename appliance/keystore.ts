// The key store: every use of a device key goes through here. Keys live in a PKCS#11 token
// (SoftHSM2 or any PKCS#11 HSM), are generated inside it and are sensitive (DESIGN.md invariant 7).
// Signing keys may leave the token only wrapped under a trusted key (CKA_WRAP_WITH_TRUSTED), which
// only the token's security officer can create, at a backup ceremony; the attestation key never. Signing runs on a pool of sessions with the async C_Sign of pkcs11js, so
// the event loop is never blocked by the token.
import { createHash, randomBytes } from 'node:crypto';
import { ApplianceError } from '../protocol/errors.js';
import { findTokenSlot, openModule, closeModule, P11, tokenLabelFromUri, type Handle, type Pkcs11 } from './pkcs11/module.js';
import { SECP256K1_PARAMS } from './pkcs11/secp256k1-objects.js';
import { createSeedObject, decryptSeed, findSeedObject, importDerivedKey, seedProtection, storeSeedCopy, tokenRandom, type SeedProtection } from './pkcs11/hd-seed-objects.js';
import { derivePrivate, extendedPublicKey, mnemonicFromEntropy, seedFromMnemonic } from './hd/hd-derivation.js';

/** secp256k1 curve OID 1.3.132.0.10, DER-encoded, as CKA_EC_PARAMS. */
/** P-256 (prime256v1) OID 1.2.840.10045.3.1.7, for the device attestation key. */
const P256_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');

export interface TokenKey {
  /** CKA_ID of the pair, 16 random bytes chosen at generation. */
  ckaId: Uint8Array;
  label: string;
  /** Uncompressed SEC1 point, 65 bytes. */
  publicKey: Uint8Array;
}

/** The PKCS#11 attributes that prove a private key cannot leave the token in the clear. */
export interface PrivateKeyProtection {
  token: boolean;
  private: boolean;
  sensitive: boolean;
  extractable: boolean;
  alwaysSensitive: boolean;
  neverExtractable: boolean;
  /** Wrappable only by a key the SO marked CKA_TRUSTED (the backup ceremony's wrap key). */
  wrapWithTrusted: boolean;
  /** Whether any attribute can still be changed (false: fixed at generation or restore). */
  modifiable: boolean;
}

export interface KeyStoreOptions {
  modulePath: string;
  tokenUri: string;
  pin: string;
  poolSize?: number;
}

export class KeyStore {
  private readonly idle: Handle[] = [];
  private readonly waiters: ((s: Handle) => void)[] = [];
  private readonly privateHandles = new Map<string, Handle>();
  private closed = false;

  private constructor(
    private readonly mod: Pkcs11,
    private readonly sessions: Handle[],
    /** A session kept out of the pool for short synchronous signatures (audit entries inside a DB transaction). */
    private readonly syncSession: Handle,
  ) {
    this.idle.push(...sessions);
  }

  static open(opts: KeyStoreOptions): KeyStore {
    const mod = openModule(opts.modulePath);
    try {
      const slot = findTokenSlot(mod, tokenLabelFromUri(opts.tokenUri));
      const flags = P11.CKF_SERIAL_SESSION | P11.CKF_RW_SESSION;
      const sessions: Handle[] = [];
      for (let i = 0; i < (opts.poolSize ?? 4) + 1; i++) sessions.push(mod.C_OpenSession(slot, flags));
      const syncSession = sessions.pop();
      const first = sessions[0];
      if (first === undefined) throw new ApplianceError('bad_request', 'poolSize must be at least 1');
      try {
        // Login is per application: one login authenticates every session of this process.
        mod.C_Login(first, P11.CKU_USER, opts.pin);
      } catch (err) {
        throw new ApplianceError('unavailable', 'token login failed', undefined, { cause: pkcs11Code(err) });
      }
      if (syncSession === undefined) throw new ApplianceError('internal', 'no session');
      return new KeyStore(mod, sessions, syncSession);
    } catch (err) {
      closeModule(mod);
      throw err;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.sessions, this.syncSession]) {
      try {
        this.mod.C_CloseSession(s);
      } catch {
        /* closing anyway */
      }
    }
    closeModule(this.mod);
  }

  /**
   * Generates a secp256k1 pair inside the token: token objects, the private key sensitive (its value
   * is never readable) and extractable only wrapped under a trusted key (CKA_WRAP_WITH_TRUSTED), so
   * that a backup ceremony can carry it to a new token and nothing else can take it out.
   */
  generateSecp256k1(label: string): Promise<TokenKey> {
    return this.generateEcPair(SECP256K1_PARAMS, label, 'trusted-wrap');
  }

  /**
   * Generates the device attestation key: P-256, inside the token, sensitive, non-extractable, able
   * only to sign. It signs audit entries, quotes and key attestation certificates.
   */
  generateP256Attestation(label: string): Promise<TokenKey> {
    return this.generateEcPair(P256_PARAMS, label, 'never');
  }

  private async generateEcPair(curve: Buffer, label: string, exportable: 'never' | 'trusted-wrap'): Promise<TokenKey> {
    const ckaId = randomBytes(16);
    return this.withSession(async (session) => {
      const pair = await this.mod.C_GenerateKeyPairAsync(
        session,
        { mechanism: P11.CKM_EC_KEY_PAIR_GEN },
        [
          { type: P11.CKA_TOKEN, value: true },
          { type: P11.CKA_PRIVATE, value: false },
          { type: P11.CKA_VERIFY, value: true },
          { type: P11.CKA_EC_PARAMS, value: curve },
          { type: P11.CKA_LABEL, value: label },
          { type: P11.CKA_ID, value: ckaId },
        ],
        [
          { type: P11.CKA_TOKEN, value: true },
          { type: P11.CKA_PRIVATE, value: true },
          { type: P11.CKA_SENSITIVE, value: true },
          { type: P11.CKA_EXTRACTABLE, value: exportable === 'trusted-wrap' },
          { type: P11.CKA_WRAP_WITH_TRUSTED, value: exportable === 'trusted-wrap' },
          { type: P11.CKA_SIGN, value: true },
          { type: P11.CKA_DERIVE, value: false },
          // Fixed for life: no one (not even the user) may turn on derive or copy the key with other attributes.
          { type: P11.CKA_MODIFIABLE, value: false },
          { type: P11.CKA_COPYABLE, value: false },
          { type: P11.CKA_LABEL, value: label },
          { type: P11.CKA_ID, value: ckaId },
        ],
      );
      this.privateHandles.set(hex(ckaId), pair.privateKey);
      return { ckaId: new Uint8Array(ckaId), label, publicKey: this.readPublicPoint(session, pair.publicKey) };
    });
  }

  /**
   * ECDSA P-256 over SHA-256 of `data`, synchronously on the reserved session; returns raw r||s.
   * For audit entries, which are signed inside the database transaction that stores them.
   */
  signP256Sync(ckaId: Uint8Array, data: Uint8Array): Uint8Array {
    if (this.closed) throw new ApplianceError('unavailable', 'key store is closed');
    const digest = createHash('sha256').update(data).digest();
    try {
      const key = this.privateHandle(this.syncSession, ckaId);
      this.mod.C_SignInit(this.syncSession, { mechanism: P11.CKM_ECDSA }, key);
      const sig = this.mod.C_Sign(this.syncSession, digest, Buffer.alloc(64));
      return new Uint8Array(sig);
    } catch (err) {
      if (err instanceof ApplianceError) throw err;
      throw new ApplianceError('internal', 'token operation failed', undefined, { cause: pkcs11Code(err) });
    }
  }

  /** Asynchronous form of signP256Sync on the session pool (certificates, quotes). */
  async signP256(ckaId: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
    const digest = createHash('sha256').update(data).digest();
    return this.signDigest(ckaId, digest);
  }

  /** Every secp256k1 public key on the token, with its CKA_ID and label. */
  async listKeys(): Promise<TokenKey[]> {
    return this.withSession(async (session) => {
      const keys: TokenKey[] = [];
      for (const h of this.find(session, [
        { type: P11.CKA_CLASS, value: P11.CKO_PUBLIC_KEY },
        { type: P11.CKA_KEY_TYPE, value: P11.CKK_EC },
      ])) {
        const [id, lbl, params] = this.mod.C_GetAttributeValue(session, h, [{ type: P11.CKA_ID }, { type: P11.CKA_LABEL }, { type: P11.CKA_EC_PARAMS }]);
        if (!(params?.value instanceof Buffer) || !params.value.equals(SECP256K1_PARAMS)) continue;
        keys.push({
          ckaId: new Uint8Array(id?.value as Buffer),
          label: (lbl?.value as Buffer).toString('utf8'),
          publicKey: this.readPublicPoint(session, h),
        });
      }
      return keys;
    });
  }

  /** Reads the protection attributes of a private key (for attestation and for tests of invariant 7). */
  async privateKeyProtection(ckaId: Uint8Array): Promise<PrivateKeyProtection> {
    return this.withSession(async (session) => {
      const h = this.privateHandle(session, ckaId);
      const types = [P11.CKA_TOKEN, P11.CKA_PRIVATE, P11.CKA_SENSITIVE, P11.CKA_EXTRACTABLE, P11.CKA_ALWAYS_SENSITIVE, P11.CKA_NEVER_EXTRACTABLE, P11.CKA_WRAP_WITH_TRUSTED, P11.CKA_MODIFIABLE];
      const attrs = this.mod.C_GetAttributeValue(
        session,
        h,
        types.map((type) => ({ type })),
      );
      const flag = (i: number) => {
        const v = attrs[i]?.value;
        return v instanceof Buffer ? v[0] === 1 : Boolean(v);
      };
      return { token: flag(0), private: flag(1), sensitive: flag(2), extractable: flag(3), alwaysSensitive: flag(4), neverExtractable: flag(5), wrapWithTrusted: flag(6), modifiable: flag(7) };
    });
  }

  /**
   * Attempts to read the private value (CKA_VALUE). A correct token refuses; this exists so that a
   * test can prove the refusal through the real module. Returns the PKCS#11 error name.
   */
  async tryReadPrivateValue(ckaId: Uint8Array): Promise<string> {
    return this.withSession(async (session) => {
      const h = this.privateHandle(session, ckaId);
      try {
        this.mod.C_GetAttributeValue(session, h, [{ type: P11.CKA_VALUE }]);
        return 'CKR_OK';
      } catch (err) {
        return pkcs11Code(err);
      }
    });
  }

  /** Raw ECDSA over a 32-byte digest; returns r||s (64 bytes) exactly as the token produced it. */
  async signDigest(ckaId: Uint8Array, digest: Uint8Array): Promise<Uint8Array> {
    if (digest.length !== 32) throw new ApplianceError('bad_request', `"digest" expected 32 bytes, got ${digest.length}`);
    return this.withSession(async (session) => {
      const key = this.privateHandle(session, ckaId);
      this.mod.C_SignInit(session, { mechanism: P11.CKM_ECDSA }, key);
      const sig = await this.mod.C_SignAsync(session, Buffer.from(digest), Buffer.alloc(64));
      if (sig.length !== 64) throw new ApplianceError('internal', 'token returned a signature of unexpected length');
      return new Uint8Array(sig);
    });
  }

  private privateHandle(session: Handle, ckaId: Uint8Array): Handle {
    const k = hex(ckaId);
    const cached = this.privateHandles.get(k);
    if (cached) return cached;
    const [h] = this.find(session, [
      { type: P11.CKA_CLASS, value: P11.CKO_PRIVATE_KEY },
      { type: P11.CKA_ID, value: Buffer.from(ckaId) },
    ]);
    if (!h) throw new ApplianceError('not_found', 'no such key on the token');
    this.privateHandles.set(k, h);
    return h;
  }

  private find(session: Handle, template: { type: number; value: number | boolean | Buffer }[]): Handle[] {
    this.mod.C_FindObjectsInit(session, template);
    try {
      const out: Handle[] = [];
      for (;;) {
        const batch = this.mod.C_FindObjects(session, 64);
        if (batch.length === 0) return out;
        out.push(...batch);
      }
    } finally {
      this.mod.C_FindObjectsFinal(session);
    }
  }

  /** CKA_EC_POINT is a DER OCTET STRING wrapping the uncompressed point 04||x||y. */
  private readPublicPoint(session: Handle, h: Handle): Uint8Array {
    const [attr] = this.mod.C_GetAttributeValue(session, h, [{ type: P11.CKA_EC_POINT }]);
    const der = attr?.value;
    if (!(der instanceof Buffer)) throw new ApplianceError('internal', 'token returned no EC point');
    const point = der.length === 67 && der[0] === 0x04 && der[1] === 65 ? der.subarray(2) : der;
    if (point.length !== 65 || point[0] !== 0x04) throw new ApplianceError('internal', 'token returned an EC point of unexpected form');
    return new Uint8Array(point);
  }

  private async withSession<T>(fn: (s: Handle) => Promise<T>): Promise<T> {
    if (this.closed) throw new ApplianceError('unavailable', 'key store is closed');
    const s = this.idle.pop() ?? (await new Promise<Handle>((resolve) => this.waiters.push(resolve)));
    try {
      return await fn(s);
    } catch (err) {
      if (err instanceof ApplianceError) throw err;
      throw new ApplianceError('internal', 'token operation failed', undefined, { cause: pkcs11Code(err) });
    } finally {
      const next = this.waiters.shift();
      if (next) next(s);
      else this.idle.push(s);
    }
  }

  // --- HD wallets (docs/hd-wallets.md) ---
  // The seed is born from the token's generator and kept in the token; BIP-39 and BIP-32 run in this
  // process because PKCS#11 has no mechanism for them. Each call below holds the seed in memory only
  // for its own duration and zeroes it.

  /**
   * Creates an HD seed: 32 bytes of entropy from C_GenerateRandom, their 24-word BIP-39 mnemonic and
   * its 64-byte seed (computed here), stored as a sensitive trusted-wrap-only secret object and as its
   * derivation copy (encrypted under the token's seed-encryption key). Returns the seed's CKA_ID.
   * `testOnlyMnemonic` replaces the entropy by a known mnemonic: only tests pass it (no wire command
   * carries it), so that an external wallet library can be compared with the device.
   */
  async createHdSeed(label: string, testOnlyMnemonic?: string): Promise<Uint8Array> {
    return this.withSession(async (session) => {
      const ckaId = tokenRandom(this.mod, session, 16);
      let seed: Uint8Array;
      if (testOnlyMnemonic === undefined) {
        const entropy = tokenRandom(this.mod, session, 32);
        try {
          seed = seedFromMnemonic(mnemonicFromEntropy(entropy));
        } finally {
          entropy.fill(0);
        }
      } else seed = seedFromMnemonic(testOnlyMnemonic);
      try {
        createSeedObject(this.mod, session, ckaId, label, seed);
        storeSeedCopy(this.mod, session, ckaId, seed);
      } finally {
        seed.fill(0);
      }
      return new Uint8Array(ckaId);
    });
  }

  /** Whether the token holds the seed object with this CKA_ID. */
  async hasHdSeed(seedCkaId: Uint8Array): Promise<boolean> {
    return this.withSession(async (session) => findSeedObject(this.mod, session, seedCkaId) !== undefined);
  }

  /** The seed object's protection, and the token's answers to reading it or wrapping it untrusted (for tests). */
  async hdSeedProtection(seedCkaId: Uint8Array): Promise<SeedProtection> {
    return this.withSession(async (session) => seedProtection(this.mod, session, seedCkaId, pkcs11Code));
  }

  /**
   * Derives the key at `path` (BIP-32, in this process, from the seed decrypted by the token), imports
   * it into the token as a sensitive, non-extractable secp256k1 key with CKA_ID `keyCkaId`, and zeroes
   * the seed and the private key. Returns the public key (65 bytes).
   */
  async deriveHdKey(seedCkaId: Uint8Array, path: string, keyCkaId: Uint8Array, label: string): Promise<Uint8Array> {
    return this.withSession(async (session) => {
      const seed = decryptSeed(this.mod, session, seedCkaId);
      let derived;
      try {
        derived = derivePrivate(seed, path);
      } finally {
        seed.fill(0);
      }
      try {
        this.privateHandles.set(hex(keyCkaId), importDerivedKey(this.mod, session, keyCkaId, label, derived.privateKey, derived.publicKey));
      } finally {
        derived.privateKey.fill(0);
      }
      return derived.publicKey;
    });
  }

  /** The extended public key at `path` (an account level, m/44'/60'/a'), from the seed decrypted for this call. */
  async hdExtendedPublicKey(seedCkaId: Uint8Array, path: string): Promise<string> {
    return this.withSession(async (session) => {
      const seed = decryptSeed(this.mod, session, seedCkaId);
      try {
        return extendedPublicKey(seed, path);
      } finally {
        seed.fill(0);
      }
    });
  }

  // --- state sealing ---
  // The state-seal key (HMAC-SHA256, generic secret, sensitive, non-extractable) and two anchor slots
  // (private data objects) that pin the sealed state (docs/sealed-state.md). Both are found by an id
  // derived from the device id, so a token that is not this device's has none of them. All calls run
  // on the synchronous session: they happen inside, or right after, a database transaction.

  private sealKeyHandle: Handle | undefined;
  /** A session copy of the seal key (still sensitive, non-extractable): SoftHSM2 MACs with it in ~8 µs instead of ~14. */
  private sealKeyCopy: Handle | undefined;
  private readonly anchorHandles = new Map<number, Handle>();

  /** Generates this device's state-seal key in the token (provisioning). */
  generateStateSealKey(deviceId: string): void {
    this.syncCall(() => {
      this.sealKeyHandle = this.mod.C_GenerateKey(this.syncSession, { mechanism: P11.CKM_GENERIC_SECRET_KEY_GEN }, [
        { type: P11.CKA_CLASS, value: P11.CKO_SECRET_KEY },
        { type: P11.CKA_KEY_TYPE, value: P11.CKK_GENERIC_SECRET },
        { type: P11.CKA_VALUE_LEN, value: 32 },
        { type: P11.CKA_TOKEN, value: true },
        { type: P11.CKA_PRIVATE, value: true },
        { type: P11.CKA_SENSITIVE, value: true },
        { type: P11.CKA_EXTRACTABLE, value: false },
        { type: P11.CKA_SIGN, value: true },
        { type: P11.CKA_VERIFY, value: true },
        { type: P11.CKA_ENCRYPT, value: false },
        { type: P11.CKA_DECRYPT, value: false },
        { type: P11.CKA_WRAP, value: false },
        { type: P11.CKA_UNWRAP, value: false },
        { type: P11.CKA_DERIVE, value: false },
        { type: P11.CKA_LABEL, value: 'state-seal' },
        { type: P11.CKA_ID, value: sealObjectId(deviceId) },
      ]);
    });
  }

  /** Whether the token holds this device's state-seal key. */
  hasStateSealKey(deviceId: string): boolean {
    return this.syncCall(() => this.stateSealKey(deviceId) !== undefined);
  }

  /** HMAC-SHA256 under the state-seal key (32 bytes). */
  stateSealHmacSync(deviceId: string, data: Uint8Array): Uint8Array {
    return this.syncCall(() => {
      if (this.sealKeyCopy === undefined) {
        const key = this.stateSealKey(deviceId);
        if (key === undefined) throw new ApplianceError('unavailable', 'the token holds no state-seal key for this device');
        this.sealKeyCopy = this.mod.C_CopyObject(this.syncSession, key, [{ type: P11.CKA_TOKEN, value: false }]);
      }
      this.mod.C_SignInit(this.syncSession, { mechanism: P11.CKM_SHA256_HMAC }, this.sealKeyCopy);
      return new Uint8Array(this.mod.C_Sign(this.syncSession, Buffer.from(data), Buffer.alloc(32)));
    });
  }

  /** Creates the two anchor slots of this device, both holding `initial` (provisioning). */
  createStateAnchors(deviceId: string, initial: Uint8Array): void {
    this.syncCall(() => {
      for (const slot of [0, 1]) this.createAnchorSlot(deviceId, slot, initial);
    });
  }

  private createAnchorSlot(deviceId: string, slot: number, content: Uint8Array): void {
    const h = this.mod.C_CreateObject(this.syncSession, [
      { type: P11.CKA_CLASS, value: P11.CKO_DATA },
      { type: P11.CKA_TOKEN, value: true },
      { type: P11.CKA_PRIVATE, value: true },
      { type: P11.CKA_MODIFIABLE, value: true },
      { type: P11.CKA_APPLICATION, value: Buffer.from(ANCHOR_APPLICATION) },
      { type: P11.CKA_VALUE, value: anchorSlotId(deviceId, slot) },
      { type: P11.CKA_LABEL, value: Buffer.from(content).toString('base64url') },
    ]);
    this.anchorHandles.set(slot, h);
  }

  /** The content of each anchor slot of this device (undefined: the slot is missing or unreadable). */
  readStateAnchors(deviceId: string): (Uint8Array | undefined)[] {
    return this.syncCall(() =>
      [0, 1].map((slot) => {
        const h = this.anchorHandle(deviceId, slot);
        if (h === undefined) return undefined;
        try {
          const [label] = this.mod.C_GetAttributeValue(this.syncSession, h, [{ type: P11.CKA_LABEL }]);
          return label?.value instanceof Buffer ? new Uint8Array(Buffer.from(label.value.toString('utf8'), 'base64url')) : undefined;
        } catch {
          return undefined;
        }
      }),
    );
  }

  /**
   * Rewrites one anchor slot. SoftHSM2 refuses to change CKA_VALUE of an existing data object
   * (CKR_ATTRIBUTE_READ_ONLY) and re-creating the object costs ~1.8 ms here, so the anchor travels
   * base64url-encoded in CKA_LABEL, the attribute PKCS#11 lets a user change (~0.3 ms here).
   */
  writeStateAnchorSync(deviceId: string, slot: number, content: Uint8Array): void {
    this.syncCall(() => {
      const h = this.anchorHandle(deviceId, slot);
      // A slot lost to a write torn by a crash (SoftHSM2 then drops the object) is made again; the
      // other slot held the previous anchor meanwhile.
      if (h === undefined) this.createAnchorSlot(deviceId, slot, content);
      else this.mod.C_SetAttributeValue(this.syncSession, h, [{ type: P11.CKA_LABEL, value: Buffer.from(content).toString('base64url') }]);
    });
  }

  /** Whether the token holds the private key with this CKA_ID (the boot check of the attestation key). */
  hasPrivateKey(ckaId: Uint8Array): boolean {
    return this.syncCall(() => {
      try {
        this.privateHandle(this.syncSession, ckaId);
        return true;
      } catch (err) {
        if (err instanceof ApplianceError && err.code === 'not_found') return false;
        throw err;
      }
    });
  }

  private stateSealKey(deviceId: string): Handle | undefined {
    if (this.sealKeyHandle === undefined) {
      [this.sealKeyHandle] = this.find(this.syncSession, [
        { type: P11.CKA_CLASS, value: P11.CKO_SECRET_KEY },
        { type: P11.CKA_ID, value: sealObjectId(deviceId) },
      ]);
    }
    return this.sealKeyHandle;
  }

  private anchorHandle(deviceId: string, slot: number): Handle | undefined {
    let h = this.anchorHandles.get(slot);
    if (h === undefined) {
      [h] = this.find(this.syncSession, [
        { type: P11.CKA_CLASS, value: P11.CKO_DATA },
        { type: P11.CKA_APPLICATION, value: Buffer.from(ANCHOR_APPLICATION) },
        { type: P11.CKA_VALUE, value: anchorSlotId(deviceId, slot) },
      ]);
      if (h !== undefined) this.anchorHandles.set(slot, h);
    }
    return h;
  }

  private syncCall<T>(fn: () => T): T {
    if (this.closed) throw new ApplianceError('unavailable', 'key store is closed');
    try {
      return fn();
    } catch (err) {
      if (err instanceof ApplianceError) throw err;
      throw new ApplianceError('internal', 'token operation failed', undefined, { cause: pkcs11Code(err) });
    }
  }
}

const ANCHOR_APPLICATION = 'hsm-signer state anchor';

/** CKA_ID of the state-seal key: 16 bytes derived from the device id. */
function sealObjectId(deviceId: string): Buffer {
  return createHash('sha256').update(`state-seal:${deviceId}`).digest().subarray(0, 16);
}

/** CKA_VALUE naming one anchor slot of one device (the anchor itself lives in CKA_LABEL). */
function anchorSlotId(deviceId: string, slot: number): Buffer {
  return Buffer.from(`${deviceId}/state-anchor/${slot}`, 'utf8');
}

/** The PKCS#11 return-value name of an error (e.g. CKR_ATTRIBUTE_SENSITIVE), never a secret. */
export function pkcs11Code(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const m = /CKR_[A-Z_]+/.exec(msg);
  return m ? m[0] : 'CKR_UNKNOWN';
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
