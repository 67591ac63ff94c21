// A software stand-in for the token's state-seal key: HMAC-SHA256 under a key held in memory. Only
// for unit tests and the evaluator benchmark (bench/policy-scale.ts), which exercise the stores
// without a token; the device itself seals with the key in its token (sealed-state.ts).
import { createHmac, randomBytes } from 'node:crypto';
import type { SealKey } from './state-seal.js';

export function softwareSealKey(secret: Uint8Array = randomBytes(32)): SealKey {
  const key = Buffer.from(secret);
  return { hmac: (message) => new Uint8Array(createHmac('sha256', key).update(message).digest()) };
}
