// hsmctl run as its own process for a test, as an operator's shell would: the hsmctl environment
// variables of the test's own environment cleared (so no operator's bridge, token or config file is
// read), then the ones the test gives.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './vectors.js';

const HSMCTL = join(repoRoot, 'dist', 'cli', 'hsmctl.js');

export function runHsmctl(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const clean: NodeJS.ProcessEnv = { ...process.env };
    for (const k of ['HSM', 'HSM_TOKEN', 'HSMCTL_CONFIG', 'XDG_CONFIG_HOME']) delete clean[k];
    const child = spawn(process.execPath, [HSMCTL, ...args], { cwd, env: { ...clean, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
