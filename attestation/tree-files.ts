// The files of a directory tree, each with its SHA-256, for the firmware measurement: every entry is
// listed, whatever its name or extension. Symbolic links are followed (a link that leads nowhere is
// measured by its target text); anything that is neither a file nor a directory (a FIFO, a socket) is
// measured by its kind and never opened, so it cannot stall the boot.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export interface TreeFile {
  /** `<label>/<path inside the tree>`, '/'-separated. */
  path: string;
  sha256: string;
  /** The file read (real path). */
  file: string;
}

const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

/**
 * Lists the tree under `root` as `<label>/…` paths, sorted by name within each directory.
 * `skipTopLevel` names entries of `root` itself to leave out; `onFile` sees each regular file's bytes.
 */
export function treeFiles(root: string, label: string, opts: { skipTopLevel?: string[]; onFile?: (file: TreeFile, bytes: Buffer) => void } = {}): TreeFile[] {
  const out: TreeFile[] = [];
  const visited = new Set<string>();
  const walk = (dir: string, top: boolean) => {
    const real = realpathSync(dir);
    if (visited.has(real)) return;
    visited.add(real);
    for (const name of readdirSync(dir).sort()) {
      if (top && opts.skipTopLevel?.includes(name)) continue;
      const p = join(dir, name);
      const path = `${label}/${relative(root, p).split(sep).join('/')}`;
      let st;
      try {
        st = statSync(p);
      } catch {
        out.push({ path, sha256: sha256(`dangling-link:${readlinkSync(p)}`), file: p });
        continue;
      }
      if (st.isDirectory()) walk(p, false);
      else if (st.isFile()) {
        const bytes = readFileSync(p);
        const f = { path, sha256: sha256(bytes), file: realpathSync(p) };
        out.push(f);
        opts.onFile?.(f, bytes);
      } else out.push({ path, sha256: sha256(`special-file:${st.mode.toString(8)}`), file: p });
    }
  };
  walk(root, true);
  return out;
}
