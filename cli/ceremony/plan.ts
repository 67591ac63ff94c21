// The ceremony plan: written before the token exists, so that the admins can sign the first policy
// (which names the device) ahead of the ceremony. It fixes the device id, the enrolled admins and
// approvers (from their public key files) and the policy; each admin checks it and signs it offline
// with `hsmctl ceremony sign`, and `hsmctl ceremony init` refuses to proceed without the quorum.
import { readFileSync } from 'node:fs';
import { ApplianceError } from '../../protocol/errors.js';
import { encodePolicy, maxApprovalLifetimeSeconds, policyHash } from '../../firmware-policy/policy-document.js';
import { encodePolicyInitStatement } from '../../firmware-policy/policy-governance.js';
import { newDeviceId } from '../../softhsm-config/create-token.js';
import { assertDeviceName } from '../../softhsm-config/device-layout.js';
import { policyFromJson, type PolicyJson } from '../../host-bridge/policy-json.js';
import { signStatement, type ApproverKeyFile, type ApproverPublic } from '../approver-key.js';

export const PLAN_FORMAT = 'hsm-ceremony-plan/1';

export interface CeremonyPlan {
  format: typeof PLAN_FORMAT;
  deviceName: string;
  deviceId: string;
  createdAt: number;
  /** Admin signatures over this plan's policy are accepted until then. */
  signaturesExpireAt: number;
  policy: PolicyJson;
  /** 0x hex of the canonical policy document and its SHA-256. */
  document: string;
  policyHash: string;
}

export interface PlanSignature {
  format: 'hsm-ceremony-signature/1';
  deviceId: string;
  policyHash: string;
  adminId: string;
  expiresAt: number;
  signature: string;
}

const hex = (b: Uint8Array) => '0x' + Buffer.from(b).toString('hex');

export function readPublicKeyFile(file: string): ApproverPublic {
  const k = readJsonObject(file, 'public key file (JSON from hsmctl approver keygen)') as Partial<ApproverPublic>;
  if (typeof k.id !== 'string' || (k.alg !== 'ES256' && k.alg !== 'EdDSA') || typeof k.publicKey !== 'string')
    throw new ApplianceError('bad_request', `${file} is not a public key file (id, alg, publicKey)`);
  if ('privateKey' in k) throw new ApplianceError('bad_request', `${file} holds a PRIVATE key; enrol admins from their public parts only`);
  return { id: k.id, alg: k.alg, publicKey: k.publicKey };
}

export function makePlan(opts: {
  deviceName: string;
  policy: PolicyJson;
  admins?: ApproverPublic[];
  approvers?: ApproverPublic[];
  adminQuorum?: number;
  now: number;
  validSeconds: number;
  /** Lets groups take unsigned requests (`--allow-unsigned-requests`); by default every group requires signed ones. */
  allowUnsignedRequests?: boolean;
}): CeremonyPlan {
  assertDeviceName(opts.deviceName);
  const policy: PolicyJson = {
    ...opts.policy,
    ...(opts.admins && opts.admins.length > 0 ? { admins: opts.admins } : {}),
    ...(opts.approvers && opts.approvers.length > 0 ? { approvers: opts.approvers } : {}),
    ...(opts.adminQuorum !== undefined ? { adminQuorum: opts.adminQuorum } : {}),
  };
  const deviceId = newDeviceId();
  const doc = policyFromJson(policy, deviceId);
  if (doc.adminQuorum < 2 && doc.admins.length > 1) throw new ApplianceError('bad_request', 'an admin quorum of 1 lets one person change the policy; use at least 2');
  if (!opts.allowUnsignedRequests) assertSignedRequests(doc);
  // The first policy counts its admins' signatures only within its own approval lifetime.
  const lifetime = maxApprovalLifetimeSeconds(doc);
  if (opts.validSeconds > lifetime) throw new ApplianceError('bad_request', `signatures valid for ${opts.validSeconds} s would not count: the policy's maxApprovalLifetimeSeconds is ${lifetime} s`);
  return {
    format: PLAN_FORMAT,
    deviceName: opts.deviceName,
    deviceId,
    createdAt: opts.now,
    signaturesExpireAt: opts.now + opts.validSeconds,
    policy,
    document: hex(encodePolicy(doc)),
    policyHash: hex(policyHash(doc)),
  };
}

/**
 * A new device's policy requires signed requests (issue 12 item 1): every key group sets
 * `requireSignedRequests`, and every requester that may ask for one has a request key to stamp with.
 */
function assertSignedRequests(doc: ReturnType<typeof policyFromJson>): void {
  const unsigned = Object.entries(doc.groups)
    .filter(([, g]) => g.requireSignedRequests !== true)
    .map(([name]) => name);
  if (unsigned.length > 0)
    throw new ApplianceError(
      'bad_request',
      `key group(s) ${unsigned.join(', ')} take unsigned requests: set "requireSignedRequests": true (each requester then needs a request key, from hsmctl requester init, in the policy) or plan with --allow-unsigned-requests`,
    );
  const keyless = (doc.requesters ?? []).filter((r) => r.publicKey === undefined).map((r) => r.id);
  if (keyless.length > 0)
    throw new ApplianceError(
      'bad_request',
      `requester(s) ${keyless.join(', ')} have no request key, so every group would refuse them: run hsmctl requester init --name ID on each requester's host and list the printed entry`,
    );
}

/** Re-derives the document from the plan's readable policy and checks it is the one the plan names. */
export function checkPlan(plan: CeremonyPlan): { document: Uint8Array; hash: Uint8Array } {
  if (plan.format !== PLAN_FORMAT) throw new ApplianceError('bad_request', `not a ${PLAN_FORMAT} file`);
  const doc = policyFromJson(plan.policy, plan.deviceId);
  const document = encodePolicy(doc);
  const hash = policyHash(doc);
  if (hex(document) !== plan.document || hex(hash) !== plan.policyHash) throw new ApplianceError('bad_request', "the plan's policy document does not match its readable policy; do not sign it");
  if (doc.adminQuorum < 2 && doc.admins.length > 1) throw new ApplianceError('bad_request', 'the plan lets one admin change the policy (quorum 1); do not sign it');
  return { document, hash };
}

function readJsonObject(file: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new ApplianceError('bad_request', `cannot read ${what} ${file}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ApplianceError('bad_request', `${file} is not a ${what} (a JSON object expected)`);
  return v as Record<string, unknown>;
}

export function readPlan(file: string): CeremonyPlan {
  const p = readJsonObject(file, 'ceremony plan');
  if (p.format !== PLAN_FORMAT || typeof p.deviceName !== 'string' || typeof p.deviceId !== 'string' || typeof p.policy !== 'object' || p.policy === null || typeof p.signaturesExpireAt !== 'number') {
    throw new ApplianceError('bad_request', `${file} is not a ${PLAN_FORMAT} file`);
  }
  return p as unknown as CeremonyPlan;
}

/** An admin's signature over the plan's first policy (the policy-init statement). */
export function signPlan(plan: CeremonyPlan, key: ApproverKeyFile): PlanSignature {
  const { hash } = checkPlan(plan);
  if (!plan.policy.admins.some((a) => a.id === key.id && a.publicKey.toLowerCase() === key.publicKey.toLowerCase())) {
    throw new ApplianceError('bad_request', `key "${key.id}" is not one of the plan's admins`);
  }
  const statement = encodePolicyInitStatement(plan.deviceId, hash, key.id, plan.signaturesExpireAt);
  return {
    format: 'hsm-ceremony-signature/1',
    deviceId: plan.deviceId,
    policyHash: plan.policyHash,
    adminId: key.id,
    expiresAt: plan.signaturesExpireAt,
    signature: hex(signStatement(key, statement)),
  };
}

export function readPlanSignature(file: string): PlanSignature {
  const s = readJsonObject(file, 'signature file') as Partial<PlanSignature>;
  if (s.format !== 'hsm-ceremony-signature/1' || typeof s.adminId !== 'string' || typeof s.signature !== 'string' || typeof s.expiresAt !== 'number')
    throw new ApplianceError('bad_request', `${file} is not a ceremony signature file`);
  return s as PlanSignature;
}
