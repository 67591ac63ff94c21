// key.list and key.get: the device's registered keys (public data only). key.list answers a page of
// at most KEY_PAGE_MAX keys (each about 1 KB with its certificate, so a page fits the response
// frame however many keys the token holds); `nextOffset` says where the next page starts, or is null.
import type { CborMap } from '../../protocol/cbor.js';
import { onlyKeys, optUint, str } from '../../protocol/args.js';
import type { Device } from '../device.js';
import { requireKey } from '../device.js';
import { keyToCbor } from './key-generate.js';
import { keyGroupOf } from '../../firmware-policy/policy-document.js';

export const KEY_PAGE_MAX = 1000;

export async function keyList(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['limit', 'offset']);
  const limit = optUint(args, 'limit', KEY_PAGE_MAX, KEY_PAGE_MAX);
  const offset = optUint(args, 'offset', 0);
  const policy = dev.policies.current().doc;
  const all = dev.keys.list();
  const page = all.slice(offset, offset + limit);
  return {
    keys: page.map((k) => ({ ...keyToCbor(k), group: keyGroupOf(policy, k.keyId, k.group), generatedInGroup: k.group })),
    nextOffset: offset + page.length < all.length ? offset + page.length : null,
  };
}

export async function keyGet(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['keyId']);
  const key = requireKey(dev, str(args, 'keyId', 128));
  const protection = await dev.keystore.privateKeyProtection(key.ckaId);
  const group = keyGroupOf(dev.policies.current().doc, key.keyId, key.group);
  return { ...keyToCbor(key), group, generatedInGroup: key.group, protection: { ...protection } };
}
