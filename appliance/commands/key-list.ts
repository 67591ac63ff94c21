// key.list and key.get: the device's registered keys (public data only).
import type { CborMap } from '../../protocol/cbor.js';
import { onlyKeys, str } from '../../protocol/args.js';
import type { Device } from '../device.js';
import { requireKey } from '../device.js';
import { keyToCbor } from './key-generate.js';

export async function keyList(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', []);
  return { keys: dev.keys.list().map(keyToCbor) };
}

export async function keyGet(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['keyId']);
  const key = requireKey(dev, str(args, 'keyId', 128));
  const protection = await dev.keystore.privateKeyProtection(key.ckaId);
  return { ...keyToCbor(key), protection: { ...protection } };
}
