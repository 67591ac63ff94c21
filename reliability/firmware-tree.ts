// A copy of the firmware as another install would hold it, for tests and the red team: the device's
// built code (the measured folders of dist/) and, under node_modules/, only the packages its
// measurement names, copied with symbolic links dereferenced (never a link back to the shared
// node_modules, so a change in the copy touches nothing else). The appliance booted from the copy
// runs the copy's files: booting and signing from it also shows the measured packages are all the
// device needs.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { MEASURED_DIRS, measureCode, runningCodeRoot } from '../attestation/measurement.js';

export interface FirmwareTree {
  /** The copy's root (holds dist/, node_modules/ and package.json). */
  root: string;
  /** The copy's appliance entry point, for startAppliance's `main`. */
  main: string;
  /** Path of a file inside a copied package, e.g. ('@noble/curves', 'secp256k1.js'). */
  packageFile(name: string, inside: string): string;
  /** Appends bytes to a copied package's file: a swapped dependency that behaves the same. */
  alterPackageFile(name: string, inside: string, appended: string): void;
  remove(): void;
}

/** Copies the firmware under `codeRoot` (default: the running build) and the packages it is measured with. */
export function copyFirmwareTree(codeRoot: string = runningCodeRoot(), prefix = 'fw-tree-'): FirmwareTree {
  const root = mkdtempSync(join(tmpdir(), prefix));
  try {
    for (const d of MEASURED_DIRS) cpSync(join(codeRoot, d), join(root, 'dist', d), { recursive: true });
    // The package scope of dist/ ("type": "module"), as in the project.
    writeFileSync(join(root, 'package.json'), readFileSync(join(codeRoot, '..', 'package.json')));
    const placed = new Map<string, string>();
    for (const pkg of measureCode(codeRoot).packages) {
      const at = pkg.dir.indexOf(`${sep}node_modules${sep}`);
      if (at < 0) throw new Error(`package ${pkg.name} is not under a node_modules directory: ${pkg.dir}`);
      const dest = join(root, pkg.dir.slice(at + 1));
      // Nested node_modules/ hold packages of their own: those the firmware needs are in the list.
      const nested = join(pkg.dir, 'node_modules');
      cpSync(pkg.dir, dest, { recursive: true, dereference: true, filter: (src) => src !== nested && !src.startsWith(nested + sep) });
      if (!placed.has(pkg.name)) placed.set(pkg.name, dest);
    }
    const packageFile = (name: string, inside: string): string => {
      const dir = placed.get(name);
      if (!dir) throw new Error(`package ${name} is not part of the firmware`);
      return join(dir, inside);
    };
    return {
      root,
      main: join(root, 'dist', 'appliance', 'main.js'),
      packageFile,
      alterPackageFile(name, inside, appended) {
        const p = packageFile(name, inside);
        writeFileSync(p, Buffer.concat([readFileSync(p), Buffer.from(appended, 'utf8')]));
      },
      remove: () => rmSync(root, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
}
