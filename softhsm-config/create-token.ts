// Creates the SoftHSM2 token of a new device: config, token directory, generated PINs in 0600 files.
// PINs are made here from the OS RNG and handed to PKCS#11 in memory; they are never printed.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { ApplianceError } from '../protocol/errors.js';
import { closeModule, initToken, openModule, tokenUri } from '../appliance/pkcs11/module.js';
import { devicePaths, discoverModulePath, writeSecretFile, writeSofthsmConf, type DeviceConfig } from './device-layout.js';

export interface CreateTokenOptions {
  varRoot: string;
  name: string;
  modulePath?: string;
  /** The device id, when a ceremony plan fixed it in advance (admins signed a policy naming it). */
  deviceId?: string;
  /**
   * Where the SO PIN goes. Default: secrets/so.pin beside the user PIN (demo and test devices). A key
   * ceremony writes it elsewhere (the security officer's medium), so the host holding the user PIN
   * cannot also make a trusted wrap key.
   */
  soPinFile?: string;
}

const DEVICE_ID_RE = /^hsm-[0-9a-f]{16}$/;

export function newDeviceId(): string {
  return `hsm-${randomBytes(8).toString('hex')}`;
}

function pin(): string {
  return randomBytes(18).toString('base64url');
}

export function createDeviceToken(opts: CreateTokenOptions): DeviceConfig {
  const paths = devicePaths(opts.varRoot, opts.name);
  if (existsSync(paths.deviceJson)) throw new ApplianceError('conflict', `device "${opts.name}" already exists at ${paths.dir}`);
  const modulePath = opts.modulePath ?? discoverModulePath();
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  writeSofthsmConf(paths);
  const userPin = pin();
  const soPin = pin();
  writeSecretFile(paths, paths.userPinFile, userPin);
  if (opts.soPinFile) {
    writeFileSync(opts.soPinFile, soPin, { mode: 0o600, flag: 'wx' });
    chmodSync(opts.soPinFile, 0o600);
  } else {
    writeSecretFile(paths, paths.soPinFile, soPin);
  }

  const deviceId = opts.deviceId ?? newDeviceId();
  if (!DEVICE_ID_RE.test(deviceId)) throw new ApplianceError('bad_request', `device id must match ${DEVICE_ID_RE}`);
  const label = deviceId;
  // SoftHSM2 reads its configuration from the environment at C_Initialize.
  process.env.SOFTHSM2_CONF = paths.softhsmConf;
  const mod = openModule(modulePath);
  try {
    initToken(mod, label, soPin, userPin);
  } finally {
    closeModule(mod);
  }
  const config: DeviceConfig = { deviceId, name: opts.name, modulePath, tokenUri: tokenUri(label), createdAt: Math.floor(Date.now() / 1000) };
  writeFileSync(paths.deviceJson, JSON.stringify(config, null, 2) + '\n', { mode: 0o644 });
  return config;
}
