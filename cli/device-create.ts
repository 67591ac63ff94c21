// Creates a device: its token (softhsm-config), its first policy and its first keys. Runs the
// appliance's own command handlers in this process, before the appliance is started as a service.
import type { CborMap } from '../protocol/cbor.js';
import { encodePolicy, policyHash, type PolicyDocument } from '../firmware-policy/policy-document.js';
import { encodePolicyInitStatement } from '../firmware-policy/policy-governance.js';
import { signStatement, type ApproverKeyFile } from './approver-key.js';
import { createDeviceToken } from '../softhsm-config/create-token.js';
import { devicePaths, readSecretFile, type DeviceConfig } from '../softhsm-config/device-layout.js';
import { KeyStore } from '../appliance/keystore.js';
import { closeDevice, openDevice } from '../appliance/device.js';
import { dispatch } from '../appliance/dispatch.js';
import { provisionIdentity } from '../appliance/identity.js';
import { measureCode, runningCodeRoot } from '../attestation/measurement.js';
import { initManufacturer, loadManufacturer } from './manufacturer.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CreateDeviceOptions {
  varRoot: string;
  name: string;
  /** Builds the policy once the device id is known. */
  policy: (deviceId: string) => PolicyDocument;
  keys: { label: string; group: string }[];
  /** Admin keys that sign the first policy (its own admin quorum must be among them). */
  adminSigners: ApproverKeyFile[];
  modulePath?: string;
  progress?: (msg: string) => void;
  /**
   * The firmware measurement of the code this process runs, when the caller already has it (a test
   * or the red team creating many devices from one build); measured here otherwise.
   */
  measurement?: Uint8Array;
}

export interface CreatedDevice {
  config: DeviceConfig;
  keys: CborMap[];
}

export async function createDevice(opts: CreateDeviceOptions): Promise<CreatedDevice> {
  const say = opts.progress ?? (() => undefined);
  const made = await initManufacturer(opts.varRoot);
  if (made.created) say(`created the emulated manufacturer CA: ${made.certFile} (its key stays beside it, 0600, outside every device)`);
  const ca = loadManufacturer(opts.varRoot);
  say(`creating token for device "${opts.name}"`);
  const config = createDeviceToken({ varRoot: opts.varRoot, name: opts.name, ...(opts.modulePath ? { modulePath: opts.modulePath } : {}) });
  const paths = devicePaths(opts.varRoot, opts.name);
  process.env.SOFTHSM2_CONF = paths.softhsmConf;
  const keystore = KeyStore.open({ modulePath: config.modulePath, tokenUri: config.tokenUri, pin: readSecretFile(paths.userPinFile), poolSize: 1 });
  const dev = openDevice({ config, stateDb: paths.stateDb, keystore, measurement: opts.measurement ?? measureCode(runningCodeRoot()).measurement });
  try {
    say('generating the device attestation key and certificate');
    const { deviceCertPem } = await provisionIdentity(dev, ca);
    writeFileSync(join(paths.dir, 'device-cert.pem'), deviceCertPem);
    say('installing the initial policy');
    const policy = opts.policy(config.deviceId);
    const hash = policyHash(policy);
    const expiresAt = dev.clock() + 3600;
    const approvals = opts.adminSigners.map((a) => ({ adminId: a.id, expiresAt, signature: signStatement(a, encodePolicyInitStatement(config.deviceId, hash, a.id, expiresAt)) }));
    await dispatch(dev, 'policy.init', { document: encodePolicy(policy), approvals });
    const keys: CborMap[] = [];
    for (const [i, k] of opts.keys.entries()) {
      say(`generating key ${i + 1}/${opts.keys.length} (${k.label})`);
      keys.push(await dispatch(dev, 'key.generate', k));
    }
    return { config, keys };
  } finally {
    closeDevice(dev);
  }
}
