// The operator's policy format: the README's hot/warm/cold example parses into a valid document that
// requires signed requests from requesters that each have a request key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { policyFromJson, readPolicyJson } from '../../host-bridge/policy-json.js';
import { policyHash } from '../../firmware-policy/policy-document.js';
import { repoRoot } from '../helpers/vectors.js';

test('examples/policy-tiers.json (hot, warm, cold) is a valid policy', () => {
  const doc = policyFromJson(readPolicyJson(join(repoRoot, 'examples', 'policy-tiers.json')), 'hsm-example');
  assert.deepEqual(Object.keys(doc.groups).sort(), ['cold', 'hot', 'warm']);
  assert.equal(doc.groups.cold?.assets['1:native']?.approvalTiers[0]?.required, 3, 'cold: quorum always');
  assert.equal(doc.groups.cold?.holdSeconds, 604_800, 'cold: long holds');
  assert.equal(doc.groups.hot?.assets['1:native']?.approvalTiers[0]?.above, 10n ** 18n, 'hot: no approvals under 1 ETH');
  assert.equal(doc.maxApprovalLifetimeSeconds, 14_400, 'approvals may run at most 4 h');
  for (const [name, g] of Object.entries(doc.groups)) assert.equal(g.requireSignedRequests, true, `${name}: signed requests required`);
  for (const r of doc.requesters ?? []) assert.equal(r.publicKey?.length, 65, `${r.id}: a request key`);
  assert.equal(policyHash(doc).length, 32);
});

test('a group names the Safes its keys may co-sign for by chain and 0x address; allowGasRefund is carried, anything else refused', () => {
  const j = readPolicyJson(join(repoRoot, 'examples', 'policy-tiers.json'));
  const safe = '0x5AFE5afe5afe5afe5afe5afe5afe5afe5afe5afe'.toLowerCase();
  j.groups.cold!.safes = [
    { chainId: 1, address: safe },
    { chainId: '1', address: '0x' + '5b'.repeat(20), allowGasRefund: true },
  ];
  const doc = policyFromJson(j, 'hsm-example');
  assert.deepEqual(doc.groups.cold?.safes, [
    { chainId: 1n, address: Uint8Array.from(Buffer.from(safe.slice(2), 'hex')) },
    { chainId: 1n, address: new Uint8Array(20).fill(0x5b), allowGasRefund: true },
  ]);
  j.groups.cold!.safes = [{ chainId: 1, address: safe, threshold: 2 } as never];
  assert.throws(() => policyFromJson(j, 'hsm-example'), /safes\[0\]\.threshold/);
  j.groups.cold!.safes = [{ chainId: 1, address: '0x1234' }];
  assert.throws(() => policyFromJson(j, 'hsm-example'), /safes\[0\]\.address/);
});
