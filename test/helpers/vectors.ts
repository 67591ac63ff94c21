// Locates test/vectors (external test vectors copied into the repository, never edited; sources and
// licences in test/vectors/README.md). No test reads outside the repository.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root: dist/test/helpers/vectors.js sits three levels below it. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const vectorsDir = resolve(repoRoot, 'test', 'vectors');

export function vectorPath(...parts: string[]): string {
  return join(vectorsDir, ...parts);
}

export function readVectorJson<T = unknown>(...parts: string[]): T {
  return JSON.parse(readFileSync(vectorPath(...parts), 'utf8')) as T;
}
