// The public description of a registered key (protocol/commands/key-info.ts) from its registry record.
import type { KeyInfo } from '../protocol/commands/key-info.js';
import type { KeyRecord } from './state/key-registry.js';

export function keyInfo(k: KeyRecord): KeyInfo {
  return {
    keyId: k.keyId,
    label: k.label,
    group: k.group,
    curve: 'secp256k1',
    address: k.address,
    publicKey: k.publicKey,
    createdAt: k.createdAt,
    policyHash: k.policyHash,
    certificate: k.certificate,
  };
}
