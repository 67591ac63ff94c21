// sign.typed-data: EIP-712 typed data, hashed by the appliance itself (it never signs a digest it is
// given), judged by the firmware policy (domain allowlist; Permit and Permit2 as allowances), signed
// by a token key, idempotent by request id, audited before the signature leaves.
import { decodeCanonical, encodeCanonical, sha256Canonical, type CborMap, type CborValue } from '../../protocol/cbor.js';
import { ApplianceError } from '../../protocol/errors.js';
import { asMap, onlyKeys, str } from '../../protocol/args.js';
import { classifyTypedData, domainFacts, typedDataDigest, type TypedData } from '../../firmware-policy/evm/eip712.js';
import { evaluateTypedData } from '../../firmware-policy/rules/typed-data.js';
import { reasonsToCbor } from '../../firmware-policy/decision.js';
import { keyGroupOf } from '../../firmware-policy/policy-document.js';
import { normalizeSignature } from '../../firmware-policy/evm/secp256k1-signature.js';
import type { Device } from '../device.js';
import { assertFirmwareApproved, requireKey } from '../device.js';
import { equalBytes } from './sign-evm-tx.js';

/** CBOR (from the bridge's JSON) back to the plain values the EIP-712 encoder reads. */
function plain(v: CborValue): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Uint8Array) return '0x' + Buffer.from(v).toString('hex');
  if (v instanceof Map) throw new ApplianceError('bad_request', '"typedData" must use text keys');
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

function typedFacts(facts: ReturnType<typeof domainFacts>): CborMap {
  return { chainId: facts.chainId, verifyingContract: facts.verifyingContract, name: facts.name };
}

export async function signTypedData(dev: Device, args: CborMap): Promise<CborMap> {
  onlyKeys(args, 'args', ['requestId', 'requester', 'keyId', 'typedData']);
  const requestId = str(args, 'requestId', 128);
  const requester = str(args, 'requester', 128);
  const keyId = str(args, 'keyId', 128);
  const td = plain(asMap(args.typedData, 'typedData')) as TypedData;
  const digest = typedDataDigest(td); // validates the whole message
  const facts = domainFacts(td);
  const intent = classifyTypedData(td);
  const requestHash = sha256Canonical({ cmd: 'sign.typed-data', requester, keyId, digest });

  return dev.requestLocks.run(requestId, async () => {
    const existing = dev.requests.get(requestId);
    if (existing) {
      if (existing.kind !== 'sign.typed-data' || !equalBytes(existing.requestHash, requestHash)) throw new ApplianceError('conflict', 'this idempotency key was used for a different request');
      if (!existing.response) throw new ApplianceError('conflict', 'request is being signed');
      return asMap(decodeCanonical(existing.response), 'response');
    }
    assertFirmwareApproved(dev);
    const key = requireKey(dev, keyId);
    const now = dev.clock();
    const policy = dev.policies.current();
    const keyGroup = keyGroupOf(policy.doc, key.keyId, key.group);
    const decision = evaluateTypedData(policy.doc, dev.view, { keyGroup, facts, intent, requester }, now);
    const record = { requestId, requestHash, kind: 'sign.typed-data', requester, keyId, intentDigest: digest, args: encodeCanonical({ requester, keyId, digest }), createdAt: now, updatedAt: now };
    const audit = (extra: CborMap): CborMap => ({
      kind: 'sign.typed-data',
      requestId,
      requester,
      keyId,
      keyGroup,
      typedDataDigest: digest,
      primaryType: td.primaryType,
      domain: typedFacts(facts),
      classification: intent.kind,
      policyVersion: policy.doc.version,
      policyHash: policy.hash,
      outcome: decision.outcome,
      reasons: reasonsToCbor(decision.reasons),
      ...extra,
    });
    if (decision.outcome !== 'allow') {
      return dev.commits.run(() => {
        const entry = dev.audit.append(now, audit({}));
        const response: CborMap = { status: 'denied', requestId, keyId, digest, reasons: reasonsToCbor(decision.reasons), auditSeq: entry.seq };
        dev.requests.insert({ ...record, status: 'denied', response: encodeCanonical(response) });
        return response;
      });
    }
    dev.sealed.guard();
    const raw = await dev.keystore.signDigest(key.ckaId, digest);
    const sig = normalizeSignature(raw, digest, key.publicKey);
    const r = sig.r.toString(16).padStart(64, '0');
    const s = sig.s.toString(16).padStart(64, '0');
    const signature = new Uint8Array(Buffer.from(r + s + (27 + sig.yParity).toString(16), 'hex'));
    return dev.commits.run(() => {
      const entry = dev.audit.append(dev.clock(), audit({ result: 'signed', signatureHash: sha256Canonical(signature) }));
      const response: CborMap = { status: 'signed', requestId, keyId, from: key.address, digest, signature, yParity: sig.yParity, auditSeq: entry.seq, auditEntry: entry.entry };
      dev.requests.insert({ ...record, status: 'signed', response: encodeCanonical(response) });
      return response;
    });
  });
}
