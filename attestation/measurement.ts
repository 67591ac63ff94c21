// Firmware measurement: SHA-256 over a manifest of everything the device process runs.
//   1. the runtime: Node's version and its built-in components' versions, platform, architecture
//      (runtime-identity.ts), one `runtime <name> <value>` line each;
//   2. the device's own built code: every file under appliance/, attestation/, firmware-policy/,
//      protocol/ and softhsm-config/ of dist/ (the appliance imports from all five; .js and their maps);
//   3. the installed packages that code imports and their dependencies, every file of each package
//      directory, native `.node` binaries included (measured-packages.ts), named
//      `node_modules/<name>@<version>/<path>`.
// Files are listed as `<sha256>  <path>` lines sorted by path; one changed byte anywhere, another
// dependency, or another Node version changes the measurement.
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentRuntime, runtimeManifest, type RuntimeIdentity } from './runtime-identity.js';
import { importedPackageNames, packageClosure, packageFiles, type MeasuredPackage } from './measured-packages.js';
import { treeFiles, type TreeFile } from './tree-files.js';

export const MEASURED_DIRS = ['appliance', 'attestation', 'firmware-policy', 'protocol', 'softhsm-config'] as const;

/** `appliance/main.js`, or `node_modules/<name>@<version>/<path>` for a package's file. */
export type MeasuredFile = TreeFile;

export interface Measurement {
  measurement: Uint8Array;
  runtime: RuntimeIdentity;
  packages: MeasuredPackage[];
  files: MeasuredFile[];
}

const byPath = (a: MeasuredFile, b: MeasuredFile): number => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0);

/**
 * Measures the firmware whose built code is under `codeRoot` (a dist/ directory), with the packages
 * Node would load for it. `runtime` defaults to this process's Node (a test passes another).
 */
export function measureCode(codeRoot: string, opts: { runtime?: RuntimeIdentity } = {}): Measurement {
  const runtime = opts.runtime ?? currentRuntime();
  const files: MeasuredFile[] = [];
  const roots: { name: string; fromDir: string }[] = [];
  for (const d of MEASURED_DIRS) {
    files.push(
      ...treeFiles(join(codeRoot, d), d, {
        onFile: (f, bytes) => {
          if (f.path.endsWith('.js')) for (const name of importedPackageNames(bytes.toString('utf8'))) roots.push({ name, fromDir: dirname(f.file) });
        },
      }),
    );
  }
  const packages = packageClosure(roots).sort((a, b) => (a.dir < b.dir ? -1 : a.dir > b.dir ? 1 : 0));
  for (const pkg of packages) files.push(...packageFiles(pkg));
  files.sort(byPath);
  const manifest = runtimeManifest(runtime) + files.map((f) => `${f.sha256}  ${f.path}\n`).join('');
  return { measurement: new Uint8Array(createHash('sha256').update(manifest, 'utf8').digest()), runtime, packages, files };
}

/** The dist/ directory this module was loaded from (dist/attestation/measurement.js → dist/). */
export function runningCodeRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..');
}
