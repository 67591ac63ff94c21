// Preload (`node --import <this file's URL>`) that records every file the process loads, one line
// each, to the file named by LOAD_RECORD_FILE: ES modules through a loader hook (load-recorder-hooks.ts,
// every URL the ESM loader loads), CommonJS files through the CommonJS loader's per-extension
// handlers (.js, .json, .node), and native addons through process.dlopen. Used to check that the
// firmware measurement holds every file the appliance really runs.
import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';

const out = process.env.LOAD_RECORD_FILE;
if (!out) throw new Error('load-recorder: set LOAD_RECORD_FILE');
const record = (kind: string, what: string) => appendFileSync(out, `${kind} ${what}\n`);

register('./load-recorder-hooks.js', import.meta.url, { data: { out } });

type Handler = (this: unknown, module: unknown, filename: string) => unknown;
const extensions = (Module as unknown as { _extensions: Record<string, Handler> })._extensions;
for (const ext of Object.keys(extensions)) {
  const original = extensions[ext]!;
  extensions[ext] = function (this: unknown, module: unknown, filename: string) {
    record('cjs', filename);
    return original.call(this, module, filename);
  };
}

const dlopen = process.dlopen.bind(process);
process.dlopen = (module: object, filename: string, flags?: number): void => {
  record('dlopen', filename);
  if (flags === undefined) dlopen(module, filename);
  else dlopen(module, filename, flags);
};
