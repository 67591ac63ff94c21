// Build step: writes the expected firmware measurement of this build to dist/MEASUREMENT.json.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { measureCode, runningCodeRoot } from './measurement.js';

const root = runningCodeRoot();
const m = measureCode(root);
const hex = Buffer.from(m.measurement).toString('hex');
writeFileSync(join(root, 'MEASUREMENT.json'), JSON.stringify({ measurement: hex, files: m.files }, null, 2) + '\n');
process.stdout.write(`firmware measurement ${hex} (${m.files.length} files)\n`);
