// The appliance socket's mode: 0600 by default, 0660 when asked (a bridge in the socket's group),
// nothing else; and appliance/main.js refuses any other --socket-mode before it opens the device.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listen, type SocketMode } from '../../appliance/server.js';
import type { Device } from '../../appliance/device.js';
import { ApplianceError } from '../../protocol/errors.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'appliance', 'main.js');

// No frame is sent in these tests, so the server never reaches the device: an empty stand-in is enough.
const NO_DEVICE = {} as Device;

async function modeOf(opts: { socketMode?: SocketMode }): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'hsm-sock-'));
  const path = join(dir, 'appliance.sock');
  try {
    const srv = await listen(NO_DEVICE, path, opts);
    try {
      const st = statSync(path);
      assert.ok(st.isSocket());
      return st.mode & 0o777;
    } finally {
      await srv.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the socket is 0600 unless a mode is given', async () => {
  assert.equal(await modeOf({}), 0o600);
  assert.equal(await modeOf({ socketMode: 0o600 }), 0o600);
});

test('the socket is 0660 in group mode, whatever the process umask', async () => {
  const old = process.umask(0o077);
  try {
    assert.equal(await modeOf({ socketMode: 0o660 }), 0o660);
    assert.equal(process.umask(0o077), 0o077, 'listen restores the umask it changed');
  } finally {
    process.umask(old);
  }
});

test('a world-accessible mode is refused', async () => {
  await assert.rejects(
    () => modeOf({ socketMode: 0o666 as SocketMode }),
    (err: unknown) => err instanceof ApplianceError && err.code === 'bad_request',
  );
});

test('appliance/main.js refuses --socket-mode other than 0600 or 0660 before opening the device', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hsm-sock-'));
  try {
    const r = spawnSync(process.execPath, [MAIN, '--var', dir, '--device', 'none', '--socket-mode', '0666'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    const line = JSON.parse(r.stderr.trim().split('\n').pop()!) as { code: string; message: string };
    assert.equal(line.code, 'bad_request');
    assert.match(line.message, /--socket-mode/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
