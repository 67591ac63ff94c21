// `hsmctl run` (what `make run` runs) started for a test in a folder of its own: in its own process group,
// so that however the test ends, one kill stops it and everything it started (anvil, the appliance),
// and no process outlives the test holding a port or the test's output open.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './vectors.js';

const HSMCTL = join(repoRoot, 'dist', 'cli', 'hsmctl.js');

export interface HsmctlRun {
  child: ChildProcess;
  /** What it printed up to "Ctrl-C stops everything." */
  printed: string;
  /** Its standard error so far (the service's log). */
  log(): string;
  /** SIGINT, as Ctrl-C, and its exit code. */
  interrupt(): Promise<number | null>;
  /** SIGKILL to the whole process group (for `after`, whatever state the test left it in). */
  kill(): void;
}

/** Starts `hsmctl run --var <dir>/var` on free ports and waits (bounded) until it prints that it is ready. */
export async function startHsmctlRun(dir: string, ms = 90_000): Promise<HsmctlRun> {
  const child = spawn(process.execPath, [HSMCTL, 'run', '--var', join(dir, 'var'), '--port', '0', '--custody-port', '0'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const kill = () => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // the group is already gone
    }
  };
  const printed = await new Promise<string>((resolve, reject) => {
    let out = '';
    const marker = 'Ctrl-C stops everything.';
    const timer = setTimeout(() => {
      kill();
      reject(new Error(`no "${marker}" within ${ms} ms; output:\n${out}\nlog:\n${log}`));
    }, ms);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(marker)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`hsmctl run exited (${code}) before it was ready; output:\n${out}\nlog:\n${log}`));
    });
  });
  return {
    child,
    printed,
    log: () => log,
    interrupt: () => {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGINT');
      return exited;
    },
    kill,
  };
}
