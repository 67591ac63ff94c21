// Starts the appliance as its own process (the device boundary) and waits for its "ready" line.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { ApplianceError } from '../protocol/errors.js';

export interface ApplianceProcess {
  child: ChildProcess;
  socket: string;
  deviceId: string;
  /** The running firmware measurement (hex) and whether the device accepts it. */
  measurement: string;
  firmwareApproved: boolean;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<void>;
}

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'appliance', 'main.js');

export function startAppliance(
  varRoot: string,
  device: string,
  opts: {
    stderr?: 'inherit' | 'ignore' | 'pipe';
    env?: NodeJS.ProcessEnv;
    /** another build's appliance/main.js */ main?: string;
    /** Node options before the script (the benchmark's --cpu-prof) */ execArgv?: string[];
  } = {},
): Promise<ApplianceProcess> {
  const child = spawn(process.execPath, [...(opts.execArgv ?? []), opts.main ?? MAIN, '--var', varRoot, '--device', device], {
    // The IPC channel carries no message: it closes when this process is gone, which stops the device.
    stdio: ['ignore', 'pipe', opts.stderr ?? 'inherit', 'ipc'],
    env: opts.env ?? process.env,
  });
  child.channel?.unref();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new ApplianceError('unavailable', 'appliance did not become ready within 30 s'));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new ApplianceError('unavailable', `appliance exited with code ${code} before it was ready`));
    });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        const ready = JSON.parse(line) as { ready: boolean; socket: string; deviceId: string; measurement: string; firmwareApproved: boolean };
        resolve({
          child,
          socket: ready.socket,
          deviceId: ready.deviceId,
          measurement: ready.measurement,
          firmwareApproved: ready.firmwareApproved,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
            await exited;
          },
        });
      } catch {
        reject(new ApplianceError('unavailable', 'appliance printed an unexpected ready line'));
      }
    });
  });
}
