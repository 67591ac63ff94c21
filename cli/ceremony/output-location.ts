// Where a ceremony may write its secrets: never inside a source checkout (repository-root.ts), where
// a `git add .` would commit a private key, a PIN or a custodian's share. The operator names the
// place (--out, --so-pin-out, --var); a path inside the repository is refused before anything is made.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ApplianceError } from '../../protocol/errors.js';
import { repositoryRootOf } from '../repository-root.js';

/** The nearest folder of `path` (itself or an ancestor) that exists, where the walk starts. */
function existingFolder(path: string): string {
  let dir = resolve(path);
  while (!existsSync(dir)) {
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return dir;
}

/** Refuses `path` (a file or a folder to be made) when it lies inside a repository; returns it resolved. */
export function secretOutputPath(path: string, what: string): string {
  const abs = resolve(path);
  const root = repositoryRootOf(existingFolder(abs));
  if (root !== undefined) {
    throw new ApplianceError(
      'bad_request',
      `${what} ${abs} is inside the repository ${root}, where \`git add .\` would commit it: name a place outside it (e.g. ~/ceremony-prod/ or removable media)`,
      { field: what },
    );
  }
  return abs;
}
