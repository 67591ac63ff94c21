// Rolling windows read at once (StateView.windowUsages, one statement on the device) or window by
// window (a view without it, and the replay of an audit entry): the same decision, and the same
// inputs recorded for the replay, whatever the usage of each window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { evaluate } from '../../../firmware-policy/evaluate.js';
import { checkVelocityWindows, usagesOf } from '../../../firmware-policy/rules/velocity-window.js';
import { inputsFromCbor, inputsToCbor, recordingView, replayView, type RecordedInputs } from '../../../firmware-policy/recorded-view.js';
import type { PolicyDocument } from '../../../firmware-policy/policy-document.js';
import type { StateView, WindowUsage } from '../../../firmware-policy/state-view.js';
import type { TransferIntent } from '../../../firmware-policy/intent.js';

const NOW = 1_700_000_000;
const ASSET = '31337:native';
const TO = new Uint8Array(20).fill(0xaa);
const WINDOWS = [
  { seconds: 3600, maxAmount: 20_000n, maxCount: 5 },
  { seconds: 86_400, maxAmount: 50_000n, maxCount: 20 },
];

const policy: PolicyDocument = {
  version: 1,
  parentHash: null,
  deviceId: 'dev-test-1',
  defaultHoldSeconds: 0,
  admins: [],
  adminQuorum: 1,
  approvers: [],
  requesters: [{ id: 'orchestrator' }],
  groups: { hot: { chains: [31337n], whitelistRequired: true, holdSeconds: null, assets: { [ASSET]: { perTxMax: 100_000n, windows: WINDOWS, approvalTiers: [] } } } },
};

const intent = (amount: bigint): TransferIntent => ({ kind: 'evm-transfer', keyId: 'k', chainId: 31337n, nonce: 1n, asset: ASSET, to: TO, amount, data: new Uint8Array(0), maxFee: 1n });

/** A view without windowUsages: its usage per `since` comes from `usage`, and it notes each question. */
function oneByOne(usage: (since: number) => WindowUsage, asked: number[]): StateView {
  return {
    whitelistEntry: () => ({ activeAt: 0 }),
    windowUsage: (_k, _a, since) => {
      asked.push(since);
      return usage(since);
    },
  };
}

/** The same state, with windowUsages (asked once for every window). */
function atOnce(usage: (since: number) => WindowUsage, asked: number[][]): StateView {
  return {
    ...oneByOne(usage, []),
    windowUsage: () => assert.fail('asked window by window'),
    windowUsages: (_k, _a, sinces) => {
      asked.push([...sinces]);
      return sinces.map(usage);
    },
  };
}

test('usagesOf asks a view without windowUsages window by window, in order', () => {
  const asked: number[] = [];
  const u = usagesOf(
    oneByOne((s) => ({ amount: BigInt(s), count: 1 }), asked),
    'k',
    ASSET,
    [30, 10, 20],
  );
  assert.deepEqual(asked, [30, 10, 20]);
  assert.deepEqual(
    u.map((x) => x.amount),
    [30n, 10n, 20n],
  );
  assert.deepEqual(
    checkVelocityWindows(
      { perTxMax: 1n, windows: [], approvalTiers: [] },
      atOnce(() => assert.fail('no window, no question'), []),
      'k',
      ASSET,
      1n,
      NOW,
    ),
    [],
  );
});

test('property: windows read at once and window by window give the same decision and record the same inputs, and the record replays to it', () => {
  const usage = fc.record({ amount: fc.bigInt({ min: 0n, max: 60_000n }), count: fc.integer({ min: 0, max: 25 }) });
  fc.assert(
    fc.property(usage, usage, fc.bigInt({ min: 1n, max: 30_000n }), (short, long, amount) => {
      const usageAt = (since: number): WindowUsage => (since === NOW - 3600 ? short : long);
      const req = { intent: intent(amount), keyGroup: 'hot', requester: 'orchestrator' };
      const recOne: RecordedInputs = { whitelist: [], windows: [] };
      const recAll: RecordedInputs = { whitelist: [], windows: [] };
      const askedOne: number[] = [];
      const askedAll: number[][] = [];
      const one = evaluate(policy, recordingView(oneByOne(usageAt, askedOne), recOne), req, [], NOW);
      const all = evaluate(policy, recordingView(atOnce(usageAt, askedAll), recAll), req, [], NOW);
      assert.deepEqual(all, one);
      assert.deepEqual(askedOne, [NOW - 3600, NOW - 86_400]);
      assert.deepEqual(askedAll, [[NOW - 3600, NOW - 86_400]]);
      assert.deepEqual(inputsToCbor(recAll), inputsToCbor(recOne));
      assert.deepEqual(evaluate(policy, replayView(inputsFromCbor(inputsToCbor(recAll))), req, [], NOW), one);
    }),
    { numRuns: 200, seed: 17 },
  );
});
