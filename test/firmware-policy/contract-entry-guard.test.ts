// The contract allowlist cannot hold what the firmware would sign uncounted (firmware-policy/
// contract-entry-guard.ts): selectors that grant spending or operator rights, on any contract, and any
// call to one of the group's own ERC-20 assets. Checked when a policy is parsed, so such a document is
// refused at proposal and never activates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toFunctionSelector } from 'viem';
import { ed25519 } from '@noble/curves/ed25519.js';
import { GRANT_SELECTORS, GRANT_SIGNATURES } from '../../firmware-policy/contract-entry-guard.js';
import { erc20AssetId, parsePolicy, policyToCbor, type PolicyDocument } from '../../firmware-policy/policy-document.js';

const TOKEN = new Uint8Array(20).fill(0x70);
const OTHER = new Uint8Array(20).fill(0xcc);
const sel = (signature: string) => new Uint8Array(Buffer.from(toFunctionSelector(signature).slice(2), 'hex'));

function doc(contracts: NonNullable<PolicyDocument['groups'][string]['contracts']>): PolicyDocument {
  return {
    version: 1,
    parentHash: null,
    deviceId: 'd',
    defaultHoldSeconds: 0,
    admins: [{ id: 'admin', alg: 'EdDSA', publicKey: ed25519.getPublicKey(new Uint8Array(32).fill(7)) }],
    adminQuorum: 1,
    approvers: [],
    groups: {
      hot: {
        chains: [1n],
        whitelistRequired: true,
        holdSeconds: 0,
        assets: { [erc20AssetId(1n, TOKEN)]: { perTxMax: 100n, windows: [], approvalTiers: [], decimals: 18 } },
        contracts,
      },
    },
  };
}

const parse = (d: PolicyDocument) => parsePolicy(policyToCbor(d));

test('the grant selectors are keccak256 of their signatures (viem agrees)', () => {
  assert.equal(GRANT_SELECTORS.size, GRANT_SIGNATURES.length);
  for (const s of GRANT_SIGNATURES) assert.equal(GRANT_SELECTORS.get(toFunctionSelector(s).slice(2)), s, s);
  assert.ok(GRANT_SELECTORS.has('87517c45'), "Permit2's approve(address,address,uint160,uint48)");
});

test('a selector that grants spending rights cannot be allowlisted on any contract', () => {
  for (const s of ['approve(address,address,uint160,uint48)', 'setApprovalForAll(address,bool)', 'increaseApproval(address,uint256)', 'approve(address,uint256)']) {
    assert.throws(
      () => parse(doc([{ chainId: 1n, address: OTHER, selectors: [sel('ping()'), sel(s)] }])),
      (e: Error & { code?: string }) => e.code === 'bad_request' && e.message.includes('selectors[1]') && e.message.includes(s),
      s,
    );
  }
});

test("a call to one of the group's own ERC-20 assets cannot be allowlisted (transferAndCall would move it uncounted)", () => {
  assert.throws(() => parse(doc([{ chainId: 1n, address: TOKEN, selectors: [sel('transferAndCall(address,uint256,bytes)')] }])), /ERC-20 assets/);
  // The same token on another chain is another contract.
  assert.doesNotThrow(() => parse(doc([{ chainId: 5n, address: TOKEN, selectors: [sel('ping()')] }])));
});

test('an ordinary contract call is still allowlisted', () => {
  const p = parse(doc([{ chainId: 1n, address: OTHER, selectors: [sel('ping()')] }]));
  assert.equal(p.groups.hot?.contracts?.length, 1);
});
