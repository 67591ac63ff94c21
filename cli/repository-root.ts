// Finding this product's source checkout: walking up from a folder to the first one holding a .git
// entry or a package.json named for the product. hsmctl reads its version there, and the ceremony
// refuses to write keys and shares inside it (a `git add .` would commit them).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PRODUCT_NAME = 'hsm-signer-appliance';

function productPackage(dir: string): { version?: string } | undefined {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return undefined;
  try {
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
    return pkg.name === PRODUCT_NAME ? { ...(typeof pkg.version === 'string' ? { version: pkg.version } : {}) } : undefined;
  } catch {
    return undefined;
  }
}

/** The repository (or product checkout) holding `start`, or undefined when it is in none. */
export function repositoryRootOf(start: string): string | undefined {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, '.git')) || productPackage(dir)) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** The product's version from the package.json above this module (dist/cli or cli). */
export function productVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = productPackage(dir);
    if (pkg) return pkg.version ?? 'unknown';
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}
