// A requester's request key in a SoftHSM2 token of its own (issue 12 item 1): `<var>/requesters/<name>/`
// holds its softhsm2.conf, token directory and PINs (0600 files in a 0700 directory), and a P-256 key
// generated inside the token, sensitive and never extractable, that stamps the requester's signing
// requests (ES256, DER). Only the public key leaves: it goes into the policy's `requesters`.
// SoftHSM2 reads SOFTHSM2_CONF once per process, at C_Initialize: a process that opens this token must
// not also open a device's token, so stamping runs in its own `hsmctl` invocation.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { p256 } from '@noble/curves/nist.js';
import { ApplianceError } from '../protocol/errors.js';
import { KeyStore, type PrivateKeyProtection } from '../appliance/keystore.js';
import { closeModule, initToken, openModule, tokenUri } from '../appliance/pkcs11/module.js';
import { devicePaths, discoverModulePath, readSecretFile, writeSecretFile, writeSofthsmConf, type DevicePaths } from '../softhsm-config/device-layout.js';

/** What the policy lists for this requester: its id and request key. */
export interface RequesterPolicyEntry {
  id: string;
  alg: 'ES256';
  /** 0x hex, uncompressed SEC1 point. */
  publicKey: string;
}

/** requester.json: where the key is and what it is; no secret. */
export interface RequesterConfig extends RequesterPolicyEntry {
  modulePath: string;
  tokenUri: string;
  /** CKA_ID of the key pair, 0x hex. */
  ckaId: string;
  createdAt: number;
}

export interface RequesterPaths extends DevicePaths {
  requesterJson: string;
}

/** The layout of a device token, under `<var>/requesters/` instead of `<var>/`. */
export function requesterPaths(varRoot: string, name: string): RequesterPaths {
  const p = devicePaths(join(varRoot, 'requesters'), name);
  return { ...p, requesterJson: join(p.dir, 'requester.json') };
}

const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;
const pin = () => randomBytes(18).toString('base64url');

export function policyEntry(c: RequesterConfig): RequesterPolicyEntry {
  return { id: c.id, alg: c.alg, publicKey: c.publicKey };
}

export function readRequesterConfig(varRoot: string, name: string): RequesterConfig {
  const paths = requesterPaths(varRoot, name);
  if (!existsSync(paths.requesterJson)) throw new ApplianceError('not_found', `no requester "${name}" at ${paths.dir} (make it with: hsmctl requester init --name ${name})`);
  return JSON.parse(readFileSync(paths.requesterJson, 'utf8')) as RequesterConfig;
}

/** Opens the requester's token. Points this process's SoftHSM2 at the requester's configuration. */
function openRequesterStore(paths: RequesterPaths, c: Pick<RequesterConfig, 'modulePath' | 'tokenUri'>): KeyStore {
  process.env.SOFTHSM2_CONF = paths.softhsmConf;
  return KeyStore.open({ modulePath: c.modulePath, tokenUri: c.tokenUri, pin: readSecretFile(paths.userPinFile), poolSize: 1 });
}

/** Creates the requester's token and its request key; returns its configuration (no secret). */
export async function initRequesterToken(opts: { varRoot: string; name: string; modulePath?: string }): Promise<RequesterConfig> {
  const paths = requesterPaths(opts.varRoot, opts.name);
  if (existsSync(paths.requesterJson) || existsSync(paths.tokenDir)) throw new ApplianceError('conflict', `requester "${opts.name}" already exists at ${paths.dir}`);
  const modulePath = opts.modulePath ?? discoverModulePath();
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  writeSofthsmConf(paths);
  const userPin = pin();
  const soPin = pin();
  writeSecretFile(paths, paths.userPinFile, userPin);
  writeSecretFile(paths, paths.soPinFile, soPin);
  // Token labels are at most 32 bytes; the name is at most 32 characters and the token is alone in its directory.
  const uri = tokenUri(opts.name);
  process.env.SOFTHSM2_CONF = paths.softhsmConf;
  const mod = openModule(modulePath);
  try {
    initToken(mod, opts.name, soPin, userPin);
  } finally {
    closeModule(mod);
  }
  const store = openRequesterStore(paths, { modulePath, tokenUri: uri });
  try {
    const key = await store.generateP256Attestation(`request-key-${opts.name}`);
    const config: RequesterConfig = { id: opts.name, alg: 'ES256', publicKey: hex(key.publicKey), modulePath, tokenUri: uri, ckaId: hex(key.ckaId), createdAt: Math.floor(Date.now() / 1000) };
    writeFileSync(paths.requesterJson, JSON.stringify(config, null, 2) + '\n', { mode: 0o644, flag: 'wx' });
    return config;
  } finally {
    store.close();
  }
}

const ckaIdOf = (c: RequesterConfig) => new Uint8Array(Buffer.from(c.ckaId.replace(/^0x/, ''), 'hex'));

/** Signs a request statement with the requester's token key: ES256 over SHA-256, DER. */
export async function stampWithToken(varRoot: string, name: string, statement: Uint8Array): Promise<Uint8Array> {
  const c = readRequesterConfig(varRoot, name);
  const store = openRequesterStore(requesterPaths(varRoot, name), c);
  try {
    const raw = await store.signP256(ckaIdOf(c), statement);
    return p256.Signature.fromBytes(raw, 'compact').toBytes('der');
  } finally {
    store.close();
  }
}

/** The PKCS#11 attributes of the request key (for `requester show` and tests). */
export async function requesterKeyProtection(varRoot: string, name: string): Promise<PrivateKeyProtection> {
  const c = readRequesterConfig(varRoot, name);
  const store = openRequesterStore(requesterPaths(varRoot, name), c);
  try {
    return await store.privateKeyProtection(ckaIdOf(c));
  } finally {
    store.close();
  }
}
