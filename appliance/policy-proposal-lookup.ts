// Finding a stored policy proposal for a command (not_found otherwise) and reading the document it
// proposes (stored canonical, so it parses as it did when proposed).
import { decodeCanonical } from '../protocol/cbor.js';
import { ApplianceError } from '../protocol/errors.js';
import { parsePolicy, type PolicyDocument } from '../firmware-policy/policy-document.js';
import type { Device } from './device.js';
import type { StoredPolicyProposal } from './state/policy-proposals.js';

export function requirePolicyProposal(dev: Device, id: string): StoredPolicyProposal {
  const p = dev.proposals.get(id);
  if (!p) throw new ApplianceError('not_found', 'no such policy proposal');
  return p;
}

export function proposedDocument(p: StoredPolicyProposal): PolicyDocument {
  return parsePolicy(decodeCanonical(p.doc));
}
