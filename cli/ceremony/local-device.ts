// Ceremonies work on a quiescent device: the appliance service is stopped and the ceremony process
// opens the token and the state itself, running the appliance's own code (as device creation does).
import { connect } from 'node:net';
import { ApplianceError } from '../../protocol/errors.js';
import { devicePaths, readDeviceConfig, readSecretFile, type DevicePaths } from '../../softhsm-config/device-layout.js';
import { KeyStore } from '../../appliance/keystore.js';
import { openDevice, type Device } from '../../appliance/device.js';
import { measureCode, runningCodeRoot } from '../../attestation/measurement.js';

/** Resolves when nothing answers on the device's socket; refuses while the appliance runs. */
export async function assertApplianceStopped(paths: DevicePaths): Promise<void> {
  const live = await new Promise<boolean>((resolve) => {
    const s = connect(paths.socket);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
  if (live) throw new ApplianceError('conflict', `the appliance of this device is running (${paths.socket}); stop it first: ceremonies run on a quiescent device`);
}

export function openLocalDevice(varRoot: string, name: string): { dev: Device; paths: DevicePaths } {
  const paths = devicePaths(varRoot, name);
  const config = readDeviceConfig(paths);
  process.env.SOFTHSM2_CONF = paths.softhsmConf;
  const keystore = KeyStore.open({ modulePath: config.modulePath, tokenUri: config.tokenUri, pin: readSecretFile(paths.userPinFile), poolSize: 1 });
  try {
    return { dev: openDevice({ config, stateDb: paths.stateDb, keystore, measurement: measureCode(runningCodeRoot()).measurement }), paths };
  } catch (err) {
    keystore.close();
    throw err;
  }
}
