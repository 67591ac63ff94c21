// The appliance started by hsmctl (cli/appliance-process.ts) does not outlive the process that started
// it: here an intermediate process starts it and is killed with SIGKILL (no handler runs), and the
// appliance stops as on SIGTERM (its log says so), instead of living on holding the socket and the
// output it inherited.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startTestDevice } from '../helpers/test-device.js';
import { repoRoot } from '../helpers/vectors.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('the appliance stops when the process that started it is killed with SIGKILL', async () => {
  const dev = await startTestDevice();
  try {
    await dev.appliance.stop();
    const starter = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { startAppliance } = await import(${JSON.stringify(join(repoRoot, 'dist', 'cli', 'appliance-process.js'))});
         const a = await startAppliance(${JSON.stringify(dev.varRoot)}, 'dev');
         process.stdout.write(String(a.child.pid) + '\\n');
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    starter.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      starter.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(Number(out.trim()));
      });
      starter.once('exit', (code) => reject(new Error(`the starter exited (${code}) first:\n${log}`)));
    });
    assert.ok(alive(pid), 'the appliance runs');
    assert.ok(existsSync(dev.paths.socket), 'its socket is there');
    const stderrClosed = new Promise<void>((resolve) => starter.stderr.once('close', () => resolve()));
    starter.kill('SIGKILL');
    // The starter's stderr, which the appliance inherited, closes only when the appliance is gone too.
    await stderrClosed;
    for (let i = 0; i < 100 && alive(pid); i++) await delay(50); // its exit lags the close of its output by a moment
    assert.equal(alive(pid), false, 'the appliance is gone');
    assert.match(log, /appliance stopped/, 'it stopped as on SIGTERM, closing its state');
  } finally {
    await dev.stop();
  }
});
