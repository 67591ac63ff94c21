// Boots one appliance: reads its device config, logs into its token (PIN from the 0600 file), opens
// its state, listens on its Unix socket, and prints one JSON "ready" line on stdout.
// Usage: node dist/appliance/main.js --var DIR --device NAME
import { parseArgs } from 'node:util';
import { devicePaths, readDeviceConfig, readSecretFile } from '../softhsm-config/device-layout.js';
import { KeyStore } from './keystore.js';
import { closeDevice, firmwareStatus, openDevice } from './device.js';
import { measureCode, runningCodeRoot } from '../attestation/measurement.js';
import { listen } from './server.js';
import { activateDue } from './policy-activation.js';
import { log } from './log.js';
import { DEFAULT_CLOCK_TOLERANCE_SECONDS } from './sealed-state.js';
import { sealTimeIfDue, systemClockSources } from './device-clock.js';

const HELP = `appliance: the emulated HSM device process

Usage: node dist/appliance/main.js --var DIR --device NAME [--pool N]

  --var DIR      directory holding devices (default: ./var)
  --device NAME  device name under DIR (default: demo)
  --pool N       PKCS#11 sessions in the signing pool (default: 4)
  --help         this text

Environment:
  HSM_CLOCK_TOLERANCE_SECONDS  how far the host clock may be behind the last committed time before
                               the device refuses to act, and how far ahead of the host clock an
                               admin time statement may be (default 300)
  HSM_CLOCK_OFFSET_SECONDS     test only: shifts the host clock the device reads by this many seconds
                               (like libfaketime). The device's own time ignores a forward shift
                               (docs/device-time.md); a backward one is refused as clock_rollback
`;

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^-?[0-9]+$/.test(v)) throw new Error(`${name} must be an integer number of seconds`);
  return Number(v);
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { var: { type: 'string', default: 'var' }, device: { type: 'string', default: 'demo' }, pool: { type: 'string', default: '4' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const paths = devicePaths(values.var ?? 'var', values.device ?? 'demo');
  const config = readDeviceConfig(paths);
  process.env.SOFTHSM2_CONF = paths.softhsmConf;
  const keystore = KeyStore.open({ modulePath: config.modulePath, tokenUri: config.tokenUri, pin: readSecretFile(paths.userPinFile), poolSize: Number(values.pool) });
  const measuring = performance.now();
  const measured = measureCode(runningCodeRoot());
  log('info', 'firmware measured', { files: measured.files.length, packages: measured.packages.length, node: measured.runtime.node ?? null, ms: Math.round(performance.now() - measuring) });
  const offset = envInt('HSM_CLOCK_OFFSET_SECONDS') ?? 0;
  const dev = openDevice({
    config,
    stateDb: paths.stateDb,
    keystore,
    measurement: measured.measurement,
    clockSources: systemClockSources(offset),
    clockToleranceSeconds: envInt('HSM_CLOCK_TOLERANCE_SECONDS') ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
  });
  const fw = firmwareStatus(dev);
  if (!fw.approved) log('warn', 'firmware measurement not approved: the device will not sign', { running: fw.running, enrolled: fw.enrolled });
  const sealed = dev.sealed.status();
  const srv = await listen(dev, paths.socket);
  log('info', 'appliance ready', { deviceId: config.deviceId, socket: paths.socket });
  process.stdout.write(JSON.stringify({ ready: true, deviceId: config.deviceId, socket: paths.socket, measurement: fw.running, firmwareApproved: fw.approved, sealed: sealed.ok }) + '\n');

  // Scheduled policy changes activate when their time lock passes on the device's own time (each
  // activation is audited); the device's time is sealed now and then; a host clock running ahead of
  // it is reported once per episode.
  let hostAhead = false;
  const timer = setInterval(() => {
    try {
      const ahead = dev.deviceClock.host() - dev.clock();
      if (ahead > dev.sealed.toleranceSeconds && !hostAhead) {
        log('warn', 'the host clock is ahead of the device time: holds, time locks and windows follow the device time until an admin quorum attests the time (device.time.attest)', {
          aheadSeconds: ahead,
        });
      }
      hostAhead = ahead > dev.sealed.toleranceSeconds;
      if (dev.sealed.status().ok) {
        activateDue(dev);
        dev.refusals.flushDue(); // counts of repeated refusals whose window ended (device clock)
        sealTimeIfDue(dev);
      }
      dev.sealed.ensureAnchored();
    } catch (err) {
      log('error', 'policy activation failed', { error: err instanceof Error ? err.name : 'unknown' });
    }
  }, 1000);
  timer.unref();

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    await srv.close();
    closeDevice(dev);
    log('info', 'appliance stopped', {});
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : 'internal';
  const message = err instanceof Error ? err.message : 'failed to start';
  process.stderr.write(JSON.stringify({ level: 'error', msg: 'appliance failed to start', code, message }) + '\n');
  process.exit(1);
});
