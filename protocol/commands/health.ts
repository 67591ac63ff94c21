// health: is the device ready, which policy is active, how long is the log.
import { onlyKeys } from '../args.js';
import { defineCommand } from './command.js';

export type HealthArgs = Record<string, never>;

export type HealthResult = {
  deviceId: string;
  /** A policy is installed: the device can judge requests. */
  ready: boolean;
  policyVersion: number | null;
  policyHash: Uint8Array | null;
  auditHeadSeq: number;
  keys: number;
};

export const health = defineCommand<HealthArgs, HealthResult>()({
  name: 'health',
  summary: 'Is the device ready, which policy is active, how long is the log.',
  changesState: false,
  errors: [],
  parseArgs: (m) => {
    onlyKeys(m, 'args', []);
    return {};
  },
});
