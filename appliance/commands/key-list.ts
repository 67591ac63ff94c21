// key.list (protocol/commands/key-list.ts): a page of the registered keys, public data only, each in
// the group the active policy puts it.
import type { KeyListArgs, KeyListResult } from '../../protocol/commands/key-list.js';
import { keyGroupOf } from '../../firmware-policy/policy-document.js';
import type { Device } from '../device.js';
import { keyInfo } from '../key-info.js';

export async function keyList(dev: Device, { limit, offset }: KeyListArgs): Promise<KeyListResult> {
  const policy = dev.policies.current().doc;
  const all = dev.keys.list();
  const page = all.slice(offset, offset + limit);
  return {
    keys: page.map((k) => ({ ...keyInfo(k), group: keyGroupOf(policy, k.keyId, k.group), generatedInGroup: k.group })),
    nextOffset: offset + page.length < all.length ? offset + page.length : null,
  };
}
