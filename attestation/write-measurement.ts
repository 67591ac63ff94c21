// Build step: writes the expected firmware measurement of this build to dist/MEASUREMENT.json:
// { measurement, runtime: { node, platform, arch, versions.* }, packages: [{ name, version }],
//   files: [{ path, sha256 }] } (the manifest measurement.ts hashes, readable by an auditor).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { measureCode, runningCodeRoot } from './measurement.js';

const root = runningCodeRoot();
const started = performance.now();
const m = measureCode(root);
const ms = Math.round(performance.now() - started);
const hex = Buffer.from(m.measurement).toString('hex');
const doc = {
  measurement: hex,
  runtime: m.runtime,
  packages: m.packages.map((p) => ({ name: p.name, version: p.version })),
  files: m.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
};
writeFileSync(join(root, 'MEASUREMENT.json'), JSON.stringify(doc, null, 2) + '\n');
process.stdout.write(`firmware measurement ${hex} (${m.files.length} files, ${m.packages.length} packages, Node ${m.runtime.node}; measured in ${ms} ms)\n`);
