// Where a device lives on disk: var/<device>/ holds the SoftHSM2 config and token directory, the
// appliance state, its socket and its secrets (0700 directory, 0600 files).
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ApplianceError } from '../protocol/errors.js';

export interface DevicePaths {
  dir: string;
  /** Generated softhsm2.conf pointing at this device's token directory. */
  softhsmConf: string;
  tokenDir: string;
  secretsDir: string;
  /** The token user PIN: read by the appliance only; never in argv, logs or responses. */
  userPinFile: string;
  /** The token SO PIN, needed by key ceremonies (trusted wrap key). */
  soPinFile: string;
  socket: string;
  stateDb: string;
  deviceJson: string;
  bridgeTokens: string;
}

export interface DeviceConfig {
  /** Unique device id, named in approval statements so an approval cannot be replayed on another device. */
  deviceId: string;
  name: string;
  modulePath: string;
  tokenUri: string;
  createdAt: number;
}

const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export function assertDeviceName(name: string): void {
  if (!NAME_RE.test(name)) throw new ApplianceError('bad_request', `device name must match ${NAME_RE}`);
}

export function devicePaths(varRoot: string, name: string): DevicePaths {
  assertDeviceName(name);
  const dir = resolve(varRoot, name);
  const secretsDir = join(dir, 'secrets');
  return {
    dir,
    softhsmConf: join(dir, 'softhsm2.conf'),
    tokenDir: join(dir, 'tokens'),
    secretsDir,
    userPinFile: join(secretsDir, 'user.pin'),
    soPinFile: join(secretsDir, 'so.pin'),
    socket: join(dir, 'appliance.sock'),
    stateDb: join(dir, 'state.db'),
    deviceJson: join(dir, 'device.json'),
    bridgeTokens: join(dir, 'bridge-tokens.json'),
  };
}

/** Well-known install locations of the SoftHSM2 module, Debian's first. */
const MODULE_CANDIDATES = [
  '/usr/lib/softhsm/libsofthsm2.so',
  '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
  '/usr/local/lib/softhsm/libsofthsm2.so',
  '/opt/homebrew/lib/softhsm/libsofthsm2.so',
];

/** The PKCS#11 module: $PKCS11_MODULE when set, else the first SoftHSM2 install found. */
export function discoverModulePath(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.PKCS11_MODULE;
  if (configured) {
    if (!existsSync(configured)) throw new ApplianceError('unavailable', `PKCS11_MODULE ${configured} does not exist`);
    return configured;
  }
  const found = MODULE_CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new ApplianceError('unavailable', 'SoftHSM2 module not found; install softhsm2 or set PKCS11_MODULE');
  return found;
}

export function writeSofthsmConf(paths: DevicePaths): void {
  mkdirSync(paths.tokenDir, { recursive: true, mode: 0o700 });
  const conf = [
    '# Generated for this device: its own token directory, file object store.',
    `directories.tokendir = ${paths.tokenDir}`,
    'objectstore.backend = file',
    'log.level = ERROR',
    'slots.removable = false',
    '',
  ].join('\n');
  writeFileSync(paths.softhsmConf, conf, { mode: 0o600 });
}

/** Writes a secret file with mode 0600 inside the 0700 secrets directory. */
export function writeSecretFile(paths: DevicePaths, file: string, value: string): void {
  mkdirSync(paths.secretsDir, { recursive: true, mode: 0o700 });
  chmodSync(paths.secretsDir, 0o700);
  writeFileSync(file, value, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
}

export function readSecretFile(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    throw new ApplianceError('unavailable', `cannot read secret file ${file}`);
  }
}

export function readDeviceConfig(paths: DevicePaths): DeviceConfig {
  if (!existsSync(paths.deviceJson)) throw new ApplianceError('not_found', `no device at ${paths.dir}`);
  return JSON.parse(readFileSync(paths.deviceJson, 'utf8')) as DeviceConfig;
}
