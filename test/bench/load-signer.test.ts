// The load generator's statement signer on OpenSSL (bench/load.ts nativeSigner) makes approvals the
// appliance's verifier accepts, for both approver algorithms, and only over the statement signed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeSigner } from '../../bench/load.js';
import { generateApproverKey } from '../../cli/approver-key.js';
import { PURE_APPROVAL_VERIFIERS } from '../../firmware-policy/approvals/verify-signature.js';

test('ES256 and Ed25519 statements signed natively verify with the pure verifiers', () => {
  const statement = new TextEncoder().encode('approval statement');
  const other = new TextEncoder().encode('another statement');
  for (const alg of ['ES256', 'EdDSA'] as const) {
    const k = generateApproverKey(`a-${alg}`, alg);
    const pub = new Uint8Array(Buffer.from(k.publicKey.slice(2), 'hex'));
    const sig = nativeSigner(k)(statement);
    const verify = alg === 'ES256' ? PURE_APPROVAL_VERIFIERS.es256Der : PURE_APPROVAL_VERIFIERS.ed25519;
    assert.equal(verify(pub, statement, sig), true, alg);
    assert.equal(verify(pub, other, sig), false, `${alg}: not over another statement`);
  }
});
