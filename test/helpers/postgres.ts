// A throwaway PostgreSQL server from Debian's packages (`postgresql`, installed by `make system-deps`)
// for one test file or one benchmark: initdb into a fresh temporary folder, the server on a free TCP
// port of 127.0.0.1 with trust authentication and its unix socket inside that folder, stopped and the
// folder removed by `stop()`. PostgreSQL refuses to run as root, so as root (CI) initdb and the server
// run as the `postgres` system user (setpriv, which execs: the child we hold is the server itself).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../reliability/anvil.js';

export interface PostgresServer {
  /** Connection string of the `postgres` database as the `postgres` superuser. */
  url: string;
  port: number;
  /** Creates an empty database and returns its connection string. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /**
   * Keep PostgreSQL's durability settings (fsync, synchronous commit): for a benchmark. Tests leave it
   * off: a throwaway server need not survive a power cut, and fsync on a shared disk only slows them.
   */
  durable?: boolean;
}

/** The bin folder of the newest PostgreSQL under /usr/lib/postgresql, or null when none is installed. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a));
  return versions[0] === undefined ? null : join(root, versions[0], 'bin');
}

function systemUser(name: string): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

const READY_MS = 30_000;
const STOP_MS = 20_000;

export async function startPostgres(opts: PostgresOptions = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (bin === null) throw new Error("PostgreSQL is not installed: `make system-deps` installs Debian's postgresql package");
  const dir = mkdtempSync(join(tmpdir(), 'ledger-pg-'));
  const data = join(dir, 'data');
  const socketDir = join(dir, 'sock');
  mkdirSync(socketDir);
  // As root, everything runs as `postgres`, which must own the folder.
  const asRoot = process.getuid?.() === 0;
  const wrap = (cmd: string, args: string[]): [string, string[]] => (asRoot ? ['setpriv', ['--reuid=postgres', '--regid=postgres', '--clear-groups', '--', cmd, ...args]] : [cmd, args]);
  try {
    if (asRoot) {
      const { uid, gid } = systemUser('postgres');
      chownSync(dir, uid, gid);
      chownSync(socketDir, uid, gid);
    }
    const [initCmd, initArgs] = wrap(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    execFileSync(initCmd, initArgs, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const settings = ['-c', 'listen_addresses=127.0.0.1', '-k', socketDir, '-c', 'max_connections=100'];
  if (opts.durable !== true) settings.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');

  // A free port can be taken between the probe and the server's bind: try a few.
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const [cmd, args] = wrap(join(bin, 'postgres'), ['-D', data, '-p', String(port), ...settings]);
    const child = spawn(cmd, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (d: Buffer) => {
      log = (log + d.toString('utf8')).slice(-8_000);
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    if (await ready(url, child)) return server(url, port, child, exited, dir);
    lastError = log;
    await stopChild(child, exited);
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`PostgreSQL did not start:\n${lastError}`);
}

/** Retries a connection until the server answers, it exits, or READY_MS pass. */
async function ready(url: string, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + READY_MS;
  while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return false;
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  // SIGINT is PostgreSQL's fast shutdown: open sessions are ended, the server stops cleanly.
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_MS);
  await exited;
  clearTimeout(timer);
}

function server(url: string, port: number, child: ChildProcess, exited: Promise<void>, dir: string): PostgresServer {
  // If the test process ends without stop() (a crash), do not leave a server behind.
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  return {
    url,
    port,
    async createDatabase(name: string): Promise<string> {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop(): Promise<void> {
      process.removeListener('exit', onExit);
      await stopChild(child, exited);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
