// Firmware measurement: SHA-256 over a sorted manifest of the built code that makes up the device's
// firmware (appliance/, firmware-policy/, protocol/ under dist/). The manifest lists each .js file's
// path (relative, '/'-separated) and SHA-256; one changed byte anywhere changes the measurement.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MEASURED_DIRS = ['appliance', 'firmware-policy', 'protocol'] as const;

export interface Measurement {
  measurement: Uint8Array;
  files: { path: string; sha256: string }[];
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.js')) out.push(p);
  }
}

/** Measures the code under `codeRoot` (a dist/ directory). */
export function measureCode(codeRoot: string): Measurement {
  const paths: string[] = [];
  for (const d of MEASURED_DIRS) walk(join(codeRoot, d), paths);
  const files = paths
    .map((p) => ({ path: relative(codeRoot, p).split(sep).join('/'), sha256: createHash('sha256').update(readFileSync(p)).digest('hex') }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const manifest = files.map((f) => `${f.sha256}  ${f.path}\n`).join('');
  return { measurement: new Uint8Array(createHash('sha256').update(manifest, 'utf8').digest()), files };
}

/** The dist/ directory this module was loaded from (dist/attestation/measurement.js → dist/). */
export function runningCodeRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..');
}
