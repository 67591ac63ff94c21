// Whitelist governance (firmware-policy/whitelist-governance.ts): the admin quorum tally over the
// canonical whitelist-add statement, and when an entry becomes usable (quorum time + the group's hold,
// or the policy default). DESIGN.md invariant 5: changes take effect only after quorum and delay.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { p256 } from '@noble/curves/nist.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { DEFAULT_HOLD_SECONDS, type PolicyDocument, type Principal } from '../../firmware-policy/policy-document.js';
import { encodeWhitelistStatement, tallyAdminApprovals, whitelistActiveAt, type WhitelistProposal } from '../../firmware-policy/whitelist-governance.js';
import { encodeApprovalStatement, type Approval } from '../../firmware-policy/approvals/statement.js';
import type { ApprovalAlg } from '../../firmware-policy/approvals/verify-signature.js';

const NOW = 1_700_000_000;
const DEVICE = 'dev-wl-1';

interface Signer {
  id: string;
  alg: ApprovalAlg;
  publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

function es256Signer(id: string, seedByte: number): Signer {
  const { secretKey } = p256.keygen(new Uint8Array(48).fill(seedByte));
  return { id, alg: 'ES256', publicKey: p256.getPublicKey(secretKey, false), sign: (m) => p256.sign(m, secretKey, { prehash: true, format: 'der' }) };
}

function ed25519Signer(id: string, seedByte: number): Signer {
  const { secretKey, publicKey } = ed25519.keygen(new Uint8Array(32).fill(seedByte));
  return { id, alg: 'EdDSA', publicKey, sign: (m) => ed25519.sign(m, secretKey) };
}

const adm1 = es256Signer('adm-1', 11);
const adm2 = ed25519Signer('adm-2', 12);
const adm3 = es256Signer('adm-3', 13);
const adm4 = ed25519Signer('adm-4', 14);
/** An approver (not an admin) of the same policy. */
const alice = es256Signer('alice', 15);
const outsider = ed25519Signer('outsider', 16);

const principal = (s: Signer): Principal => ({ id: s.id, alg: s.alg, publicKey: s.publicKey });

function policy(): PolicyDocument {
  return {
    version: 1,
    parentHash: null,
    deviceId: DEVICE,
    defaultHoldSeconds: DEFAULT_HOLD_SECONDS,
    admins: [adm1, adm2, adm3, adm4].map(principal),
    adminQuorum: 2,
    approvers: [principal(alice)],
    groups: {
      hot: { chains: [31337n], whitelistRequired: true, holdSeconds: 3600, assets: {} },
      treasury: { chains: [1n], whitelistRequired: true, holdSeconds: null, assets: {} },
      instant: { chains: [1n], whitelistRequired: true, holdSeconds: 0, assets: {} },
    },
  };
}

function proposal(over: Partial<WhitelistProposal> = {}): WhitelistProposal {
  return { id: 'prop-1', group: 'hot', chainId: 31337n, address: new Uint8Array(20).fill(0xcd), label: 'exchange hot wallet', proposedBy: 'adm-1', ...over };
}

interface SignOptions {
  expiresAt?: number;
  deviceId?: string;
  /** Sign the statement of this proposal instead. */
  signedProposal?: WhitelistProposal;
  approverId?: string;
  signedExpiresAt?: number;
}

function adminApprove(signer: Signer, p: WhitelistProposal, o: SignOptions = {}): Approval {
  const expiresAt = o.expiresAt ?? NOW + 3600;
  const approverId = o.approverId ?? signer.id;
  const statement = encodeWhitelistStatement(o.deviceId ?? DEVICE, o.signedProposal ?? p, approverId, o.signedExpiresAt ?? expiresAt);
  return { approverId, expiresAt, signature: signer.sign(statement) };
}

describe('tallyAdminApprovals', () => {
  test('quorum reached with distinct admins (ES256 and EdDSA)', () => {
    const p = proposal();
    const t = tallyAdminApprovals(policy(), p, [adminApprove(adm2, p), adminApprove(adm3, p)], NOW);
    assert.deepEqual(t, { required: 2, counted: ['adm-2', 'adm-3'], rejected: [] });
    assert.ok(t.counted.length >= t.required);
  });

  test('required is the policy adminQuorum', () => {
    const pol = policy();
    pol.adminQuorum = 3;
    const p = proposal();
    const t = tallyAdminApprovals(pol, p, [adminApprove(adm2, p), adminApprove(adm3, p)], NOW);
    assert.equal(t.required, 3);
    assert.ok(t.counted.length < t.required);
  });

  test("the proposer's own approval does not count", () => {
    const p = proposal();
    const t = tallyAdminApprovals(policy(), p, [adminApprove(adm1, p), adminApprove(adm2, p)], NOW);
    assert.deepEqual(t.counted, ['adm-2']);
    assert.deepEqual(t.rejected, [{ approverId: 'adm-1', why: 'requester_cannot_approve' }]);
    assert.ok(t.counted.length < t.required, 'the quorum of 2 is not reached by proposer + one');
  });

  test('expired approvals (expiresAt <= now) are rejected; now + 1 counts', () => {
    const p = proposal();
    const t = tallyAdminApprovals(policy(), p, [adminApprove(adm2, p, { expiresAt: NOW }), adminApprove(adm3, p, { expiresAt: NOW - 100 }), adminApprove(adm4, p, { expiresAt: NOW + 1 })], NOW);
    assert.deepEqual(t.counted, ['adm-4']);
    assert.deepEqual(t.rejected, [
      { approverId: 'adm-2', why: 'expired' },
      { approverId: 'adm-3', why: 'expired' },
    ]);
  });

  test("an admin approval expiring further ahead than the policy's approval lifetime (default 24 h) is rejected", () => {
    const p = proposal();
    const tenYears = NOW + 10 * 365 * 86_400;
    const t = tallyAdminApprovals(policy(), p, [adminApprove(adm2, p, { expiresAt: tenYears }), adminApprove(adm3, p, { expiresAt: NOW + 86_400 })], NOW);
    assert.deepEqual(t.counted, ['adm-3']);
    assert.deepEqual(t.rejected, [{ approverId: 'adm-2', why: 'lifetime_too_long' }]);
    const longer = { ...policy(), maxApprovalLifetimeSeconds: 30 * 86_400 };
    assert.deepEqual(tallyAdminApprovals(longer, p, [adminApprove(adm2, p, { expiresAt: NOW + 30 * 86_400 })], NOW).counted, ['adm-2']);
  });

  test('unknown admins are rejected, including approvers who are not admins', () => {
    const p = proposal();
    const t = tallyAdminApprovals(policy(), p, [adminApprove(outsider, p), adminApprove(alice, p), adminApprove(adm2, p)], NOW);
    assert.deepEqual(t.counted, ['adm-2']);
    assert.deepEqual(t.rejected, [
      { approverId: 'outsider', why: 'unknown_approver' },
      { approverId: 'alice', why: 'unknown_approver' },
    ]);
  });

  test('duplicates of one admin count once', () => {
    const p = proposal();
    const t = tallyAdminApprovals(policy(), p, [adminApprove(adm2, p), adminApprove(adm2, p, { expiresAt: NOW + 99 })], NOW);
    assert.deepEqual(t.counted, ['adm-2']);
    assert.deepEqual(t.rejected, [{ approverId: 'adm-2', why: 'duplicate' }]);
  });

  describe('bad signatures are rejected', () => {
    const p = proposal();
    const bad = (a: Approval, id: string) => {
      const t = tallyAdminApprovals(policy(), p, [a], NOW);
      assert.deepEqual(t.counted, []);
      assert.deepEqual(t.rejected, [{ approverId: id, why: 'bad_signature' }]);
    };

    test('signed by another key under an admin id', () => {
      bad(adminApprove(adm3, p, { approverId: 'adm-2' }), 'adm-2');
      bad(adminApprove(adm4, p, { approverId: 'adm-3' }), 'adm-3');
    });

    test('garbage bytes', () => {
      bad({ approverId: 'adm-2', expiresAt: NOW + 60, signature: new Uint8Array(64) }, 'adm-2');
      bad({ approverId: 'adm-3', expiresAt: NOW + 60, signature: new Uint8Array(0) }, 'adm-3');
    });

    test('signed for another device', () => {
      bad(adminApprove(adm2, p, { deviceId: 'dev-wl-2' }), 'adm-2');
    });

    test('submitted with a later expiry than signed', () => {
      // (within the 24 h approval lifetime, so only the signature can refuse it)
      bad(adminApprove(adm3, p, { expiresAt: NOW + 86_400, signedExpiresAt: NOW + 60 }), 'adm-3');
    });

    test('signed over a proposal differing in any field that names the entry', () => {
      const others: WhitelistProposal[] = [
        proposal({ id: 'prop-2' }),
        proposal({ group: 'treasury' }),
        proposal({ chainId: 1n }),
        proposal({ address: new Uint8Array(20).fill(0xce) }),
        proposal({ label: 'another label' }),
      ];
      for (const other of others) bad(adminApprove(adm2, p, { signedProposal: other }), 'adm-2');
    });

    test('a transfer-approval statement signature is not a whitelist approval', () => {
      const statement = encodeApprovalStatement({ deviceId: DEVICE, intentDigest: new Uint8Array(32).fill(7), approverId: 'adm-2', expiresAt: NOW + 60 });
      bad({ approverId: 'adm-2', expiresAt: NOW + 60, signature: adm2.sign(statement) }, 'adm-2');
    });
  });

  test('everything together: order of rejections follows the input, only valid distinct admins count', () => {
    const p = proposal({ proposedBy: 'adm-4' });
    const t = tallyAdminApprovals(
      policy(),
      p,
      [
        adminApprove(adm4, p), // proposer
        adminApprove(outsider, p),
        adminApprove(adm1, p, { expiresAt: NOW }),
        adminApprove(adm2, p, { deviceId: 'x' }),
        adminApprove(adm2, p),
        adminApprove(adm3, p),
        adminApprove(adm3, p),
      ],
      NOW,
    );
    assert.deepEqual(t, {
      required: 2,
      counted: ['adm-2', 'adm-3'],
      rejected: [
        { approverId: 'adm-4', why: 'requester_cannot_approve' },
        { approverId: 'outsider', why: 'unknown_approver' },
        { approverId: 'adm-1', why: 'expired' },
        { approverId: 'adm-2', why: 'bad_signature' },
        { approverId: 'adm-3', why: 'duplicate' },
      ],
    });
  });

  test('property: the tally is deterministic and counted never holds the proposer, an unknown id or a repeat', () => {
    const signers = [adm1, adm2, adm3, adm4, alice, outsider];
    fc.assert(
      fc.property(
        fc.array(fc.record({ who: fc.nat({ max: signers.length - 1 }), expiresShift: fc.integer({ min: -10, max: 10 }), tamper: fc.boolean() }), { maxLength: 6 }),
        fc.constantFrom('adm-1', 'adm-2', 'adm-3'),
        (items, proposedBy) => {
          const p = proposal({ proposedBy });
          const approvals = items.map(({ who, expiresShift, tamper }) => {
            const a = adminApprove(signers[who]!, p, { expiresAt: NOW + expiresShift });
            if (tamper) a.signature = Uint8Array.from(a.signature, (b, i) => (i === 5 ? b ^ 1 : b));
            return a;
          });
          const t1 = tallyAdminApprovals(policy(), p, approvals, NOW);
          const t2 = tallyAdminApprovals(policy(), p, approvals, NOW);
          assert.deepEqual(t1, t2);
          assert.equal(t1.counted.length + t1.rejected.length, approvals.length);
          assert.ok(!t1.counted.includes(proposedBy));
          assert.equal(new Set(t1.counted).size, t1.counted.length);
          for (const id of t1.counted) assert.ok(['adm-1', 'adm-2', 'adm-3', 'adm-4'].includes(id));
        },
      ),
      { seed: 48, numRuns: 100 },
    );
  });
});

describe('whitelistActiveAt', () => {
  test("quorumAt + the group's hold", () => {
    assert.equal(whitelistActiveAt(policy(), 'hot', NOW), NOW + 3600);
  });

  test("the policy default when the group's hold is null", () => {
    assert.equal(whitelistActiveAt(policy(), 'treasury', NOW), NOW + DEFAULT_HOLD_SECONDS);
    const pol = policy();
    pol.defaultHoldSeconds = 77;
    assert.equal(whitelistActiveAt(pol, 'treasury', NOW), NOW + 77);
  });

  test('a group hold of 0 is 0 (not the default): active at quorum time', () => {
    assert.equal(whitelistActiveAt(policy(), 'instant', NOW), NOW);
  });

  test('the default hold is 48 h (Coinbase-style)', () => {
    assert.equal(DEFAULT_HOLD_SECONDS, 172_800);
  });
});
