// policy.get (protocol/commands/policy-get.ts): the active policy with its version, hash and activation time.
import type { PolicyGetArgs, PolicyGetResult } from '../../protocol/commands/policy-get.js';
import { policyToCbor } from '../../firmware-policy/policy-document.js';
import type { Device } from '../device.js';

export async function policyGet(dev: Device, _args: PolicyGetArgs): Promise<PolicyGetResult> {
  const p = dev.policies.current();
  return { version: p.doc.version, hash: p.hash, activatedAt: p.activatedAt, document: policyToCbor(p.doc) };
}
