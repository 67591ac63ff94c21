// The documentation's shell blocks as tests run them: the `<!-- PREFIX:NAME -->` blocks of a Markdown
// file, and bash for one block as an operator's shell would run it (a given folder and HOME, the
// hsmctl environment variables cleared), bounded: a block that hangs is stopped with its whole process
// group and fails with what it printed.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Shell {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The `<!-- prefix:NAME -->` + ```sh blocks of `file`, in order. */
export function markedBlocks(file: string, prefix: string): { name: string; body: string }[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(new RegExp(`<!-- ${prefix}:([\\w-]+) -->\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => ({ name: m[1]!, body: m[2]! }));
}

/** Runs `script` with bash in `cwd` with HOME=`home`, without the variables named in `clear`; stopped after `ms`. */
export function runBlock(script: string, o: { cwd: string; home: string; ms: number; clear?: string[] }): Promise<Shell> {
  return new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: o.home };
    for (const k of ['HSM', 'HSM_TOKEN', 'HSMCTL_CONFIG', 'XDG_CONFIG_HOME', ...(o.clear ?? [])]) delete env[k];
    const c = spawn('bash', ['-c', script], { cwd: o.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      stderr += `\n[the test stopped this block after ${o.ms} ms]`;
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, o.ms);
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
