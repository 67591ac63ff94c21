// The installed packages the firmware can load, for its measurement: each package the firmware's own
// code imports (a bare specifier such as '@noble/curves/secp256k1.js' or 'better-sqlite3'), then,
// transitively, every dependency those packages declare (`dependencies`, `optionalDependencies`,
// `peerDependencies`). Each is found where Node itself finds it: the first `node_modules/<name>` on
// the lookup path Node's resolver gives for the importing file (`require.resolve.paths`), followed to
// its real directory, as Node's loader follows symlinks. Every file in a package directory is measured
// (sources, package.json, native `.node` binaries), listed as `node_modules/<name>@<version>/<path>`
// (independent of where it is installed), except nested `node_modules/`, whose packages are measured
// as packages of their own when something depends on them.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { join } from 'node:path';
import { treeFiles, type TreeFile } from './tree-files.js';

export interface MeasuredPackage {
  name: string;
  version: string;
  /** Real path of the package directory. */
  dir: string;
}

// Static `import … from 'x'`, `export … from 'x'`, `import 'x'`, `import('x')` and `require('x')` as
// tsc emits them. A specifier this misses would be a package outside the measurement: the e2e test
// test/e2e/measured-dependencies.test.ts records what the appliance really loads and fails then.
// A name that is not installed is skipped (a false match in a string costs nothing: Node could not
// load what is not there, and a real import of it would stop the firmware at boot).
const SPECIFIER = /(?<![.\w$])(?:from\s*|import\s*\(?\s*|require\s*\(\s*)(['"])([^'"\r\n]+)\1/g;

/** The package names a module's source imports by bare specifier (no relative paths, no built-ins). */
export function importedPackageNames(source: string): string[] {
  const names = new Set<string>();
  for (const m of source.matchAll(SPECIFIER)) {
    const spec = m[2]!;
    if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('#') || /^[a-z][a-z0-9+.-]*:/i.test(spec)) continue;
    const parts = spec.split('/');
    const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
    if (isBuiltin(name)) continue;
    names.add(name);
  }
  return [...names];
}

/** The directory Node loads package `name` from when `fromDir` imports it, or null when none is installed. */
export function findPackageDir(fromDir: string, name: string): string | null {
  const lookup = createRequire(join(fromDir, '__measure__.js')).resolve.paths(name) ?? [];
  for (const d of lookup) {
    const candidate = join(d, name);
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return realpathSync(candidate);
  }
  return null;
}

interface PackageJson {
  name?: unknown;
  version?: unknown;
  dependencies?: unknown;
  optionalDependencies?: unknown;
  peerDependencies?: unknown;
}

/** A package's package.json; one that is missing or not JSON reads as empty (its bytes are measured all the same). */
function readPackageJson(dir: string): PackageJson {
  const p = join(dir, 'package.json');
  if (!existsSync(p) || !statSync(p).isFile()) return {};
  try {
    const parsed: unknown = JSON.parse(readFileSync(p, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as PackageJson) : {};
  } catch {
    return {};
  }
}

const depNames = (v: unknown): string[] => (typeof v === 'object' && v !== null ? Object.keys(v) : []);

/**
 * The dependency closure of `roots` (package name → the directory of a file that imports it). A name
 * that is not installed is skipped: there is nothing Node could load (a declared dependency named like
 * a built-in, such as `buffer`, falls back to the built-in).
 */
export function packageClosure(roots: { name: string; fromDir: string }[]): MeasuredPackage[] {
  const found = new Map<string, MeasuredPackage>();
  const asked = new Set<string>();
  const queue = [...roots];
  for (let item = queue.shift(); item; item = queue.shift()) {
    const key = `${item.fromDir}\0${item.name}`;
    if (asked.has(key)) continue;
    asked.add(key);
    const dir = findPackageDir(item.fromDir, item.name);
    if (dir === null) continue;
    if (found.has(dir)) continue;
    const pj = readPackageJson(dir);
    found.set(dir, { name: typeof pj.name === 'string' ? pj.name : item.name, version: typeof pj.version === 'string' ? pj.version : 'unversioned', dir });
    for (const dep of [...depNames(pj.dependencies), ...depNames(pj.optionalDependencies), ...depNames(pj.peerDependencies)]) {
      queue.push({ name: dep, fromDir: dir });
    }
  }
  return [...found.values()];
}

/**
 * Every file of a package directory with its SHA-256 (tree-files.ts), nested `node_modules/` left to
 * the closure.
 */
export function packageFiles(pkg: MeasuredPackage): TreeFile[] {
  return treeFiles(pkg.dir, `node_modules/${pkg.name}@${pkg.version}`, { skipTopLevel: ['node_modules'] });
}
