// Boots one appliance: reads its device config, logs into its token (PIN from the 0600 file), opens
// its state, listens on its Unix socket, and prints one JSON "ready" line on stdout.
// Usage: node dist/appliance/main.js --var DIR --device NAME [--socket PATH] [--socket-mode 0600|0660]
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { devicePaths, readDeviceConfig, readSecretFile } from '../softhsm-config/device-layout.js';
import { KeyStore } from './keystore.js';
import { closeDevice, firmwareStatus, openDevice } from './device.js';
import { measureCode, runningCodeRoot } from '../attestation/measurement.js';
import { listen, SOCKET_MODES, type SocketMode } from './server.js';
import { ApplianceError } from '../protocol/errors.js';
import { activateDue } from './policy-activation.js';
import { log } from './log.js';
import { DEFAULT_CLOCK_TOLERANCE_SECONDS } from './sealed-state.js';
import { sealTimeIfDue, systemClockSources } from './device-clock.js';

const HELP = `appliance: the emulated HSM device process

Usage: node dist/appliance/main.js --var DIR --device NAME [--pool N] [--socket PATH] [--socket-mode 0600|0660]

  --var DIR             directory holding devices (default: ./var)
  --device NAME         device name under DIR (default: demo)
  --pool N              PKCS#11 sessions in the signing pool (default: 4)
  --socket PATH         where the Unix socket listens (default: appliance.sock in the device's
                        directory). A deployment with separate users puts it in its own directory
                        shared with the bridge's group (docs/deployment.md)
  --socket-mode MODE    0600 (default: this user only) or 0660 (this user and the socket's group:
                        the group of its directory when that directory is set-group-id)
  --help                this text

Environment:
  HSM_CLOCK_TOLERANCE_SECONDS  how far the host clock may be behind the last committed time before
                               the device refuses to act, and how far ahead of the host clock an
                               admin time statement may be (default 300)
  HSM_CLOCK_OFFSET_SECONDS     test only: shifts the host clock the device reads by this many seconds
                               (like libfaketime). The device's own time ignores a forward shift
                               (docs/device-time.md); a backward one is refused as clock_rollback
`;

function socketMode(text: string): SocketMode {
  if (text === '0600') return SOCKET_MODES.owner;
  if (text === '0660') return SOCKET_MODES.group;
  throw new ApplianceError('bad_request', '--socket-mode must be 0600 or 0660');
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^-?[0-9]+$/.test(v)) throw new Error(`${name} must be an integer number of seconds`);
  return Number(v);
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      var: { type: 'string', default: 'var' },
      device: { type: 'string', default: 'demo' },
      pool: { type: 'string', default: '4' },
      socket: { type: 'string' },
      'socket-mode': { type: 'string', default: '0600' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const paths = devicePaths(values.var ?? 'var', values.device ?? 'demo');
  const mode = socketMode(values['socket-mode'] ?? '0600');
  const socketPath = values.socket !== undefined ? resolve(values.socket) : paths.socket;
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
  // The serving device flushes its commits off the event loop; its answers wait for the flush (the
  // socket server) and so does key use after a reservation (the group commit). Tools that open a
  // device in their own process (ceremonies, device creation) keep every commit on disk when it returns.
  dev.seal.flushOffLoop(paths.stateDb);
  const fw = firmwareStatus(dev);
  if (!fw.approved) log('warn', 'firmware measurement not approved: the device will not sign', { running: fw.running, enrolled: fw.enrolled });
  const sealed = dev.sealed.status();
  const srv = await listen(dev, socketPath, { socketMode: mode });
  log('info', 'appliance ready', { deviceId: config.deviceId, socket: socketPath });
  process.stdout.write(JSON.stringify({ ready: true, deviceId: config.deviceId, socket: socketPath, measurement: fw.running, firmwareApproved: fw.approved, sealed: sealed.ok }) + '\n');

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
      void dev.sealed.whenAnchored().catch(() => undefined); // a failed flush is refused to every answer
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
  // Started by hsmctl (cli/appliance-process.ts) with an IPC channel: when that process is gone, even
  // killed with SIGKILL, the channel closes and the device stops as on SIGTERM, instead of living on
  // as an orphan holding the socket and its parent's output. The channel does not keep it running.
  if (process.channel) {
    process.channel.unref();
    process.once('disconnect', () => void stop());
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : 'internal';
  const message = err instanceof Error ? err.message : 'failed to start';
  process.stderr.write(JSON.stringify({ level: 'error', msg: 'appliance failed to start', code, message }) + '\n');
  process.exit(1);
});
