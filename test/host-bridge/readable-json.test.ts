// host-bridge/readable-json.ts: the readable members added beside epoch times, base-unit amounts and
// reasons, at any depth, never inside a signed statement or a policy document, and never in place of
// a member that was there.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { policyDecimals, readableJson } from '../../host-bridge/readable-json.js';
import type { Json } from '../../host-bridge/json-cbor.js';
import { REASON_TEXTS } from '../../firmware-policy/reason-texts.js';

const TOKEN = '0x' + 'cd'.repeat(20);
const ERC20 = `1:erc20:${TOKEN}`;

describe('readableJson', () => {
  test('an ISO string beside each time field, at any depth, the epoch kept', () => {
    const input: Json = { time: 1764667200, approvals: [{ approverId: 'a', expiresAt: 1764667260 }], quorumAt: null, count: 5 };
    assert.deepEqual(readableJson(input), {
      time: 1764667200,
      timeIso: '2025-12-02T09:20:00Z',
      approvals: [{ approverId: 'a', expiresAt: 1764667260, expiresAtIso: '2025-12-02T09:21:00Z' }],
      quorumAt: null,
      count: 5,
    });
    assert.deepEqual(input.approvals, [{ approverId: 'a', expiresAt: 1764667260 }], 'the input is not changed');
  });

  test('statements and policy documents are left exactly as read', () => {
    const statement = { type: 'device-time', time: null, expiresAt: null, deviceId: 'd' };
    const document = { version: 1, createdAt: 1764667200 };
    const out = readableJson({ statement, document, createdAt: 0 }) as Record<string, Json>;
    assert.deepEqual(out.statement, statement);
    assert.deepEqual(out.document, document);
    assert.equal(out.createdAtIso, '1970-01-01T00:00:00Z');
  });

  test("a decoded request's amount in token units, with the decimals given beside its intent", () => {
    const out = readableJson({ decoded: { decimals: 6, intent: { asset: ERC20, amount: '1500000', to: '0x' } } }) as { decoded: { intent: Record<string, Json> } };
    assert.equal(out.decoded.intent.amountUnits, `1.5 of token ${TOKEN} (6 decimals)`);
    const unknown = readableJson({ decimals: null, intent: { asset: ERC20, amount: '1500000' } }) as { intent: Record<string, Json> };
    assert.equal(unknown.intent.amountUnits, `1500000 base units of token ${TOKEN} (decimals unknown)`);
  });

  test("an audit payload's amounts with the policy's decimals for its key group", () => {
    const doc = { groups: { hot: { assets: { [ERC20]: { decimals: 6 } } }, cold: { assets: { [ERC20]: { decimals: 8 } } } } };
    const payload = { keyGroup: 'cold', intent: { asset: ERC20, amount: '100000000' }, reserve: { asset: '1:native', amount: '10' } };
    const out = readableJson(payload, { decimalsOf: policyDecimals(doc) }) as { intent: Record<string, Json>; reserve: Record<string, Json> };
    assert.equal(out.intent.amountUnits, `1 of token ${TOKEN} (8 decimals)`);
    assert.equal(out.reserve.amountUnits, '0.00000000000000001 ETH');
    // A small amount decodes from CBOR as a number, not a string: it is read the same way.
    assert.equal((readableJson({ asset: '1:native', amount: 1000 }) as Record<string, Json>).amountUnits, '0.000000000000001 ETH');
    assert.equal('amountUnits' in (readableJson({ asset: '1:native', amount: 1.5 }) as Record<string, Json>), false);
  });

  test("a transaction's worst-case fee (wei) in ETH", () => {
    const out = readableJson({ intent: { maxFee: '42000000000000', gasLimit: 21000 }, detail: { maxFee: 1, cap: '2' } }) as { intent: Record<string, Json>; detail: Record<string, Json> };
    assert.equal(out.intent.maxFeeUnits, '0.000042 ETH');
    assert.equal(out.detail.maxFeeUnits, '0.000000000000000001 ETH');
  });

  test('policyDecimals: the group’s own, else the one all groups agree on, else null', () => {
    const of = policyDecimals({ groups: { a: { assets: { x: { decimals: 6 }, y: { decimals: 6 } } }, b: { assets: { y: { decimals: 9 } } }, c: { assets: { z: {} } } } });
    assert.equal(of('x', 'b'), 6);
    assert.equal(of('y', 'b'), 9);
    assert.equal(of('y', 'c'), null);
    assert.equal(of('z', 'c'), null);
    assert.equal(policyDecimals(undefined)('x', null), null);
  });

  test('an explanation beside each reason of the closed list', () => {
    const out = readableJson({
      reasons: [
        { rule: 'whitelist', code: 'not_whitelisted', message: 'recipient is not on the whitelist' },
        { rule: 'device-time', code: 'stale_nonce' },
      ],
    }) as {
      reasons: Record<string, Json>[];
    };
    assert.equal(out.reasons[0]?.explanation, REASON_TEXTS.not_whitelisted);
    assert.equal(out.reasons[0]?.message, 'recipient is not on the whitelist');
    assert.equal('explanation' in (out.reasons[1] ?? {}), false);
  });

  test('a member already present is never overwritten, and values that are not times are left alone', () => {
    const out = readableJson({ time: 5, timeIso: 'given', amount: '1', asset: '1:native', amountUnits: 'given', expiresAt: -1, createdAt: '1764667200' }) as Record<string, Json>;
    assert.equal(out.timeIso, 'given');
    assert.equal(out.amountUnits, 'given');
    assert.equal('expiresAtIso' in out, false);
    assert.equal('createdAtIso' in out, false);
  });
});
