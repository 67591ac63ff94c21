// device.attest: a quote (COSE_Sign1) signed by the device attestation key over the caller's
// challenge, the firmware measurement, the active policy and the audit log head.
import { ApplianceError } from '../errors.js';
import { bytes, onlyKeys } from '../args.js';
import { defineCommand } from './command.js';

export interface DeviceAttestArgs {
  /** 8 to 64 bytes of the caller's choosing, so a quote cannot be replayed. */
  challenge: Uint8Array;
}

export type DeviceAttestResult = {
  /** COSE_Sign1 over the canonical attestation-quote map. */
  quote: Uint8Array;
  deviceCertificate: string;
};

export const deviceAttest = defineCommand<DeviceAttestArgs, DeviceAttestResult>()({
  name: 'device.attest',
  summary: 'A quote signed by the device over a challenge, the measurement, the policy and the log head.',
  changesState: true,
  // denied: the sealed state is broken or the clock is set back.
  errors: ['denied'],
  parseArgs: (m) => {
    onlyKeys(m, 'args', ['challenge']);
    const challenge = bytes(m, 'challenge', undefined, 64);
    if (challenge.length < 8) throw new ApplianceError('bad_request', '"challenge" expected 8 to 64 bytes', { field: 'challenge' });
    return { challenge };
  },
});
