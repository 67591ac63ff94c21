// The firmware measurement of the build this process runs, measured once per process. A test file or
// the red team that creates or opens several devices in one process runs one build throughout, and
// each device made (cli/device-create.ts) or opened here would otherwise measure the whole tree again
// (2,300 files: about half a second of CPU and a second or two of disk on 2 shared cores). The
// appliance processes they start still measure themselves at boot, as the product does.
import { measureCode, runningCodeRoot } from '../../attestation/measurement.js';

let measured: Uint8Array | undefined;

export function runningMeasurement(): Uint8Array {
  measured ??= measureCode(runningCodeRoot()).measurement;
  return measured;
}
