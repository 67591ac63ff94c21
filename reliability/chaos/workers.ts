// The chaos run's worker processes: each is orchestrator/worker-process.ts started with a config file
// of its own, on the run's PostgreSQL database; the files the configs name (the requester's token and
// request key) are written next to them. The run kills one with SIGKILL while it holds claims
// and starts it again under the same name; at the end every worker is stopped with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WorkerConfig } from '../../orchestrator/worker-config.js';

const ENTRY = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'orchestrator', 'worker-process.js');

export interface WorkerPool {
  names: string[];
  /** SIGKILL the named worker; resolves when it is gone. */
  kill(name: string): Promise<void>;
  start(name: string): void;
  running(name: string): boolean;
  /** Lines the workers wrote to stderr (the last few hundred). */
  log(): string[];
  stop(): Promise<void>;
}

/** Starts the named workers on `base`; `files` (name to content) are written in the configs' folder, where relative paths in `base` point. */
export function startWorkers(base: Omit<WorkerConfig, 'worker'>, names: string[], files: Record<string, string> = {}): WorkerPool {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-workers-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content, { mode: 0o600 });
  const children = new Map<string, ChildProcess>();
  const lines: string[] = [];
  const start = (name: string) => {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify({ ...base, worker: name } satisfies WorkerConfig));
    const child = spawn(process.execPath, [ENTRY, file], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => {
      for (const l of d.toString('utf8').split('\n')) if (l !== '') lines.push(l);
      if (lines.length > 500) lines.splice(0, lines.length - 500);
    });
    children.set(name, child);
  };
  const exited = (c: ChildProcess) => new Promise<void>((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once('exit', () => r())));
  for (const n of names) start(n);
  return {
    names,
    start,
    running: (name) => {
      const c = children.get(name);
      return c !== undefined && c.exitCode === null && c.signalCode === null;
    },
    async kill(name) {
      const c = children.get(name);
      if (c === undefined) return;
      c.kill('SIGKILL');
      await exited(c);
    },
    log: () => lines,
    async stop() {
      for (const c of children.values()) {
        if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      }
      await Promise.all([...children.values()].map(exited));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
