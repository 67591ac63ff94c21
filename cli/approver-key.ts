// Approver and admin key files: a person's own signing key for approval statements. The private
// file is written 0600 and never printed; the public part goes into the policy.
import { readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ApplianceError } from '../protocol/errors.js';
import type { ApprovalAlg } from '../firmware-policy/approvals/verify-signature.js';

export interface ApproverKeyFile {
  id: string;
  alg: ApprovalAlg;
  /** hex */
  privateKey: string;
  /** 0x hex */
  publicKey: string;
}

export interface ApproverPublic {
  id: string;
  alg: ApprovalAlg;
  publicKey: string;
}

export function generateApproverKey(id: string, alg: ApprovalAlg): ApproverKeyFile {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new ApplianceError('bad_request', 'approver id must be 1-64 of [A-Za-z0-9._-]');
  if (alg === 'ES256') {
    const { secretKey } = p256.keygen();
    return { id, alg, privateKey: Buffer.from(secretKey).toString('hex'), publicKey: '0x' + Buffer.from(p256.getPublicKey(secretKey, false)).toString('hex') };
  }
  if (alg === 'EdDSA') {
    const { secretKey, publicKey } = ed25519.keygen();
    return { id, alg, privateKey: Buffer.from(secretKey).toString('hex'), publicKey: '0x' + Buffer.from(publicKey).toString('hex') };
  }
  throw new ApplianceError('bad_request', 'alg must be ES256 or EdDSA');
}

export function writeApproverKey(file: string, key: ApproverKeyFile): void {
  writeFileSync(file, JSON.stringify(key, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
}

export function readApproverKey(file: string): ApproverKeyFile {
  const k = JSON.parse(readFileSync(file, 'utf8')) as ApproverKeyFile;
  if (!k.id || (k.alg !== 'ES256' && k.alg !== 'EdDSA') || !/^[0-9a-f]{64}$/.test(k.privateKey)) throw new ApplianceError('bad_request', `${file} is not an approver key file`);
  return k;
}

export function publicPart(k: ApproverKeyFile): ApproverPublic {
  return { id: k.id, alg: k.alg, publicKey: k.publicKey };
}

/** Signs a canonical statement: ES256 as DER over SHA-256, or Ed25519. */
export function signStatement(k: ApproverKeyFile, statement: Uint8Array): Uint8Array {
  const sk = Buffer.from(k.privateKey, 'hex');
  try {
    return k.alg === 'ES256' ? p256.sign(statement, sk, { prehash: true, format: 'der' }) : ed25519.sign(statement, sk);
  } finally {
    sk.fill(0);
  }
}
