// key.list and key.get: the device's registered keys (public data only).
import type { CborMap } from '../../protocol/cbor.js';
import { onlyKeys, str } from '../../protocol/args.js';
import type { Device } from '../device.js';
import { requireKey } from '../device.js';
import { keyToCbor } from './key-generate.js';
import { keyGroupOf } from '../../firmware-policy/policy-document.js';

export async function keyList(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', []);
  const policy = dev.policies.current().doc;
  return { keys: dev.keys.list().map((k) => ({ ...keyToCbor(k), group: keyGroupOf(policy, k.keyId, k.group), generatedInGroup: k.group })) };
}

export async function keyGet(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['keyId']);
  const key = requireKey(dev, str(args, 'keyId', 128));
  const protection = await dev.keystore.privateKeyProtection(key.ckaId);
  const group = keyGroupOf(dev.policies.current().doc, key.keyId, key.group);
  return { ...keyToCbor(key), group, generatedInGroup: key.group, protection: { ...protection } };
}
