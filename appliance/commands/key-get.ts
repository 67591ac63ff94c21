// key.get (protocol/commands/key-get.ts): one registered key, with the protection attributes the
// token reports for its private half.
import type { KeyGetArgs, KeyGetResult } from '../../protocol/commands/key-get.js';
import { keyGroupOf } from '../../firmware-policy/policy-document.js';
import type { Device } from '../device.js';
import { requireKey } from '../device.js';
import { keyInfo } from '../key-info.js';

export async function keyGet(dev: Device, { keyId }: KeyGetArgs): Promise<KeyGetResult> {
  const key = requireKey(dev, keyId);
  const protection = await dev.keystore.privateKeyProtection(key.ckaId);
  const group = keyGroupOf(dev.policies.current().doc, key.keyId, key.group);
  return { ...keyInfo(key), group, generatedInGroup: key.group, protection: { ...protection } };
}
