// Debian's libfaketime (package faketime, installed by `make system-deps`): the environment that
// starts a process with its clocks moved, as `faketime -f OFFSET cmd` does (the wrapper only sets
// LD_PRELOAD and FAKETIME). Used to start the appliance with the host clock moved forward.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The path of Debian's libfaketime.so.1, or undefined when the package is not installed. */
export function libfaketimePath(): string | undefined {
  const candidates = ['/usr/lib/faketime/libfaketime.so.1'];
  try {
    for (const d of readdirSync('/usr/lib')) candidates.push(join('/usr/lib', d, 'faketime', 'libfaketime.so.1'));
  } catch {
    /* no /usr/lib: not a Debian system */
  }
  return candidates.find((p) => existsSync(p));
}

/**
 * Environment variables that move a process's clocks by `offset` (libfaketime's syntax: "+3d",
 * "-2h", "+7200"). Throws when Debian's faketime is not installed.
 */
export function faketimeEnv(offset: string): Record<string, string> {
  const lib = libfaketimePath();
  if (!lib) throw new Error("Debian's faketime is not installed (apt-get install faketime; `make system-deps` does it)");
  return { LD_PRELOAD: lib, FAKETIME: offset };
}
