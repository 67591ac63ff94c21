// deploy/systemd/: each unit passes `systemd-analyze verify` and carries the hardening
// docs/deployment.md describes; and, run as root, the users those files set up are kept apart. The
// users, groups and directories are made from hsm.sysusers.conf and hsm.tmpfiles.conf (with a random
// suffix on each name, under a temporary root), a real device is created there, and the appliance and
// the bridge are started with their units' own ExecStart lines as their units' users. Then: the
// bridge answers /healthz through the socket; the bridge's and the custody service's users get EACCES
// on the token's files, the PIN files and the state, while the appliance's user reads them (so the
// refusals come from the separation, not from missing files); only the socket's group can connect.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createDevice } from '../../cli/device-create.js';
import { policyFromJson } from '../../host-bridge/policy-json.js';
import { addToken } from '../../host-bridge/auth.js';
import { devicePaths, type DevicePaths } from '../../softhsm-config/device-layout.js';
import { makePeople, testPolicyJson } from '../helpers/test-device.js';
import { readSysusers, readTmpfiles, readUnit, type Unit } from '../helpers/deploy-files.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SYSTEMD = join(ROOT, 'deploy', 'systemd');
const UNITS = ['hsm-appliance.service', 'hsm-bridge.service', 'hsm-custody.service'] as const;

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

describe('the units verify', () => {
  const skip = has('systemd-analyze') ? false : 'systemd-analyze is not installed (Debian: systemd)';
  for (const name of UNITS) {
    test(`systemd-analyze verify ${name}: no error, no warning`, { skip }, () => {
      // verify checks that ExecStart's program exists. The units name /usr/bin/node (Debian's and
      // NodeSource's Node); on a machine whose Node is elsewhere, a copy naming this Node is verified.
      let dir = SYSTEMD;
      let copy: string | undefined;
      if (!existsSync('/usr/bin/node')) {
        copy = mkdtempSync(join(tmpdir(), 'hsm-units-'));
        for (const u of UNITS) writeFileSync(join(copy, u), readFileSync(join(SYSTEMD, u), 'utf8').replaceAll('/usr/bin/node', process.execPath));
        dir = copy;
      }
      try {
        const r = spawnSync('systemd-analyze', ['verify', join(dir, name)], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stderr.trim(), '', 'systemd-analyze printed warnings');
      } finally {
        if (copy) rmSync(copy, { recursive: true, force: true });
      }
    });
  }
});

describe('the units are hardened', () => {
  const common: Record<string, string> = {
    NoNewPrivileges: 'yes',
    ProtectSystem: 'strict',
    PrivateTmp: 'yes',
    ProtectHome: 'yes',
    PrivateDevices: 'yes',
    CapabilityBoundingSet: '',
    SystemCallFilter: '@system-service',
    UMask: '0077',
  };
  const own: Record<(typeof UNITS)[number], Record<string, string>> = {
    'hsm-appliance.service': { RestrictAddressFamilies: 'AF_UNIX', PrivateNetwork: 'yes', ReadWritePaths: '/var/lib/hsm-appliance /run/hsm', User: 'hsm-appliance' },
    'hsm-bridge.service': { RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6', ReadWritePaths: '', User: 'hsm-bridge', SupplementaryGroups: 'hsm-socket' },
    'hsm-custody.service': { RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6', ReadWritePaths: '/var/lib/hsm-custody', User: 'hsm-custody' },
  };
  for (const name of UNITS) {
    test(`${name}: hardening options, its own user, and no MemoryDenyWriteExecute (V8's JIT)`, () => {
      const unit = readUnit(join(SYSTEMD, name));
      for (const [key, value] of Object.entries({ ...common, ...own[name] })) assert.equal(unit.one('Service', key), value, `${name} ${key}`);
      assert.deepEqual(unit.get('Service', 'MemoryDenyWriteExecute'), []);
      if (name !== 'hsm-bridge.service') assert.deepEqual(unit.get('Service', 'SupplementaryGroups'), [], 'only the bridge is in the socket group');
    });
  }
});

/** Runs `cmd` as root and throws with its output when it fails. */
function must(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout.trim();
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory()) for (const e of readdirSync(path)) chownTree(join(path, e), uid, gid);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

// Tries each operation and prints, for each, "ok" or the error code. Run as the user under test.
const PROBE = `
const fs = require('node:fs'), net = require('node:net');
const ops = JSON.parse(process.argv[1]);
(async () => {
  const out = [];
  for (const [op, path] of ops) {
    try {
      if (op === 'read') fs.readFileSync(path);
      else if (op === 'list') fs.readdirSync(path);
      else if (op === 'write') fs.writeFileSync(path, 'x', { flag: 'wx' });
      else if (op === 'connect') await new Promise((ok, no) => { const s = net.connect(path, () => { s.end(); ok(); }); s.on('error', no); });
      out.push('ok');
    } catch (e) { out.push(e.code ?? String(e)); }
  }
  process.stdout.write(JSON.stringify(out));
})();`;

type Op = ['read' | 'list' | 'write' | 'connect', string];

const notRoot = process.getuid?.() !== 0 ? 'needs root: it creates system users and runs processes as them (CI runs as root)' : false;
const missingTool = ['useradd', 'userdel', 'groupadd', 'groupdel', 'usermod', 'setpriv'].find((c) => !has(c));
const skipSeparation = notRoot || (missingTool ? `${missingTool} is not installed (Debian: passwd, util-linux)` : false);

describe('the users are kept apart', { skip: skipSeparation }, () => {
  const suffix = randomBytes(3).toString('hex');
  const sysusers = readSysusers(join(SYSTEMD, 'hsm.sysusers.conf'));
  const tmpfiles = readTmpfiles(join(SYSTEMD, 'hsm.tmpfiles.conf'));
  const appliance = readUnit(join(SYSTEMD, 'hsm-appliance.service'));
  const bridge = readUnit(join(SYSTEMD, 'hsm-bridge.service'));
  /** A name of the deployment files → the throwaway account standing for it. */
  const account = (name: string) => (name === 'root' ? 'root' : `${name}-${suffix}`);
  const madeUsers: string[] = [];
  const madeGroups: string[] = [];
  const children: ChildProcess[] = [];
  let base = '';
  let paths: DevicePaths;
  let deviceId = '';
  let socketPath = '';
  /** Why the users cannot run this build (a parent directory closed to them), if so. */
  let buildClosed: string | undefined;

  /** A path of the deployment files → the same path under the temporary root (the build: this checkout). */
  const local = (arg: string): string => {
    if (arg === '/usr/bin/node') return process.execPath;
    if (arg === '/opt/hsm' || arg.startsWith('/opt/hsm/')) return ROOT + arg.slice('/opt/hsm'.length);
    if (tmpfiles.some((d) => arg === d.path || arg.startsWith(d.path + '/'))) return base + arg;
    return arg;
  };

  const ids = (user: string) => ({ uid: Number(must('id', ['-u', user])), gid: Number(must('id', ['-g', user])), groups: must('id', ['-G', user]).split(/\s+/).map(Number) });
  const gidOf = (group: string) => Number(must('getent', ['group', group]).split(':')[2]);

  /** setpriv's arguments to become `user` with its groups and the unit's SupplementaryGroups, as systemd does. */
  function becomeArgs(user: string, unit?: Unit): string[] {
    const id = ids(user);
    const extra = (unit?.one('Service', 'SupplementaryGroups') ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((g) => gidOf(account(g)));
    const groups = [...new Set([...id.groups, ...extra])];
    return [`--reuid=${id.uid}`, `--regid=${id.gid}`, `--groups=${groups.join(',')}`, '--'];
  }

  /** Starts a unit's ExecStart as its user, with its Environment, WorkingDirectory and UMask. */
  function startUnit(unit: Unit, env: Record<string, string> = {}): ChildProcess {
    const user = account(unit.one('Service', 'User')!);
    const argv = unit.execStart(env).map(local);
    const umask = process.umask(parseInt(unit.one('Service', 'UMask') ?? '0022', 8));
    try {
      const child = spawn('setpriv', [...becomeArgs(user, unit), ...argv], {
        cwd: local(unit.one('Service', 'WorkingDirectory') ?? '/'),
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...unit.environment(), ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      return child;
    } finally {
      process.umask(umask);
    }
  }

  /** The first line of `stream` matching `re`, or a rejection when the process exits or 30 s pass. */
  function lineMatching(child: ChildProcess, stream: 'stdout' | 'stderr', re: RegExp): Promise<RegExpExecArray> {
    let seen = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line matching ${re} within 30 s; saw:\n${seen}`)), 30_000);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with ${code} before a line matching ${re}; saw:\n${seen}`));
      });
      createInterface({ input: child[stream]! }).on('line', (line) => {
        seen += line + '\n';
        const m = re.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m);
        }
      });
    });
  }

  function probeAs(user: string, ops: Op[]): string[] {
    const r = spawnSync('setpriv', [...becomeArgs(user), process.execPath, '-e', PROBE, JSON.stringify(ops)], { encoding: 'utf8', cwd: '/' });
    if (r.status !== 0) throw new Error(`probe as ${user} failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as string[];
  }

  before(async () => {
    for (const g of sysusers.groups) {
      must('groupadd', ['--system', account(g)]);
      madeGroups.push(account(g));
    }
    for (const u of sysusers.users) {
      must('useradd', ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', account(u)]);
      madeUsers.push(account(u));
    }
    for (const [u, g] of sysusers.members) must('usermod', ['--append', '--groups', account(g), account(u)]);

    // The build must be readable by the service users, as /opt/hsm is: a checkout below a directory
    // closed to others (a 0700 home) cannot be run by them, and these tests then say so and skip.
    const closed = probeAs(account('hsm-appliance'), [
      ['read', join(ROOT, 'dist', 'appliance', 'main.js')],
      ['read', join(ROOT, 'node_modules', 'pkcs11js', 'package.json')],
    ]);
    if (closed.some((c) => c !== 'ok')) buildClosed = `the build at ${ROOT} is not readable by other users (${closed.join(', ')}): a parent directory is closed; run from a checkout others can read`;

    base = mkdtempSync(join(tmpdir(), 'hsm-deploy-'));
    chmodSync(base, 0o755); // stands for "/"
    for (const d of tmpfiles) {
      const path = base + d.path;
      mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
      mkdirSync(path, { mode: 0o700 });
      chownSync(path, d.user === 'root' ? 0 : ids(account(d.user)).uid, d.group === 'root' ? 0 : gidOf(account(d.group)));
      chmodSync(path, d.mode);
    }
    if (buildClosed) return;

    // A device, made as docs/deployment.md says (as the appliance's user: here made as root, then handed over).
    const varRoot = local('/var/lib/hsm-appliance');
    const varMode = statSync(varRoot).mode & 0o7777;
    const name = appliance.environment().HSM_DEVICE!;
    const people = makePeople();
    const created = await createDevice({ varRoot, name, policy: (id) => policyFromJson(testPolicyJson(people), id), keys: [{ label: 'hot-1', group: 'hot' }], adminSigners: people.admins });
    deviceId = created.config.deviceId;
    paths = devicePaths(varRoot, name);
    const app = ids(account('hsm-appliance'));
    chownTree(varRoot, app.uid, app.gid);
    chmodSync(varRoot, varMode);

    // The bridge's token hashes: root:hsm-bridge 0640, as docs/deployment.md says.
    const bridgeArgs = bridge.execStart().map(local);
    const tokensFile = bridgeArgs[bridgeArgs.indexOf('--tokens') + 1]!;
    addToken(tokensFile, 'orchestrator', ['orchestrator'], 'orchestrator');
    chownSync(tokensFile, 0, ids(account('hsm-bridge')).gid);
    chmodSync(tokensFile, 0o640);

    const applianceProcess = startUnit(appliance);
    const ready = JSON.parse((await lineMatching(applianceProcess, 'stdout', /^\{.*"ready":true.*\}$/))[0]) as { socket: string; deviceId: string };
    assert.equal(ready.deviceId, deviceId);
    socketPath = ready.socket;
  });

  after(async () => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGKILL');
        await exited;
      }
    }
    for (const u of madeUsers) spawnSync('userdel', [u]);
    for (const g of madeGroups) spawnSync('groupdel', [g]);
    if (base) rmSync(base, { recursive: true, force: true });
  });

  test('the socket is made 0660 by the appliance user, in the socket group, in the set-group-id directory', (t) => {
    if (buildClosed) return t.skip(buildClosed);
    assert.equal(socketPath, local('/run/hsm/appliance.sock'));
    const st = statSync(socketPath);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.uid, ids(account('hsm-appliance')).uid);
    assert.equal(st.gid, gidOf(account('hsm-socket')));
  });

  test('the bridge, started from its unit as its user, answers /healthz through the socket and stops on SIGTERM', async (t) => {
    if (buildClosed) return t.skip(buildClosed);
    const child = startUnit(bridge, { HSM_BRIDGE_PORT: '0' });
    const url = (await lineMatching(child, 'stderr', /bridge on (http:\/\/[^;\s]+)/))[1]!;
    const res = await fetch(`${url}/healthz`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { deviceId: string; ready: boolean };
    assert.equal(body.deviceId, deviceId);
    assert.equal(body.ready, true);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });

  test("only the appliance's user reads the token's files, the PIN files and the state", (t) => {
    if (buildClosed) return t.skip(buildClosed);
    const secrets: Op[] = [
      ['list', local('/var/lib/hsm-appliance')],
      ['list', paths.dir],
      ['list', paths.tokenDir],
      ...filesUnder(paths.tokenDir).map((f): Op => ['read', f]),
      ['read', paths.userPinFile],
      ['read', paths.soPinFile],
      ['read', paths.stateDb],
      ['read', paths.softhsmConf],
      ['read', paths.deviceJson],
    ];
    assert.ok(filesUnder(paths.tokenDir).length >= 2, 'the token has its files');
    assert.deepEqual(
      probeAs(account('hsm-appliance'), secrets),
      secrets.map(() => 'ok'),
      'the appliance reads its own files',
    );
    for (const other of ['hsm-bridge', 'hsm-custody'])
      assert.deepEqual(
        probeAs(account(other), secrets),
        secrets.map(() => 'EACCES'),
        `${other} is refused every one`,
      );
  });

  test('the socket: the bridge connects but cannot plant a file beside it; the custody user cannot connect', (t) => {
    if (buildClosed) return t.skip(buildClosed);
    assert.deepEqual(
      probeAs(account('hsm-bridge'), [
        ['connect', socketPath],
        ['write', join(dirname(socketPath), 'planted')],
      ]),
      ['ok', 'EACCES'],
    );
    assert.deepEqual(probeAs(account('hsm-custody'), [['connect', socketPath]]), ['EACCES']);
  });

  test("the bridge's tokens file is readable by the bridge's user, not by the custody user", (t) => {
    if (buildClosed) return t.skip(buildClosed);
    const file = local('/etc/hsm/bridge-tokens.json');
    assert.deepEqual(probeAs(account('hsm-bridge'), [['read', file]]), ['ok']);
    assert.deepEqual(probeAs(account('hsm-custody'), [['read', file]]), ['EACCES']);
  });
});
