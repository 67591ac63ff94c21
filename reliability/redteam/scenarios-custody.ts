// Red-team scenarios for the custody service beside the appliance (issue 13, ids `C<n>`): the
// attacker holds the custody service's requester token (or the bridge) and tries to move a customer's
// deposit-address funds anywhere but the house's hot address. The deposit key's group is a sweep group
// (GroupPolicy.sweepTo, firmware-policy/rules/sweep-only.ts), and, to show that the sweep rule alone
// confines it, its group requires no whitelist at all. Each attempt must be denied with `sweep_only`,
// nothing signed, and audited.
import { encodeFunctionData, erc20Abi } from 'viem';
import type { PolicyJson } from '../../host-bridge/policy-json.js';
import { CHAIN_ID, ETH, randomAddress, tx } from './harness.js';
import { judgeDenied } from './judge.js';
import { mainPolicy } from './world.js';
import type { Scenario } from './scenario.js';
import type { World } from './world.js';

/** The main policy plus a deposit group that sweeps into the main device's hot-1 address. */
function depositPolicy(w: World): PolicyJson {
  const p = mainPolicy(w.people, w.addr.token);
  return {
    ...p,
    groups: {
      ...p.groups,
      deposit: {
        chains: [CHAIN_ID],
        whitelistRequired: false,
        holdSeconds: 0,
        sweepTo: w.main.key('hot-1').address,
        assets: {
          [`${CHAIN_ID}:native`]: { perTxMax: (100n * ETH).toString(), windows: [], approvalTiers: [] },
          [`${CHAIN_ID}:erc20:${w.addr.token.toLowerCase()}`]: { perTxMax: (1000n * ETH).toString(), windows: [], approvalTiers: [] },
        },
      },
    },
  };
}

export const custodyScenarios: Scenario[] = [
  {
    id: 'C1',
    attacker: 'orchestrator',
    attack: "a customer's deposit key paying an attacker: ETH to the attacker, its tokens to the attacker, approve the attacker as spender",
    expected: '403 sweep/sweep_only, each audited',
    async run(w, v) {
      const d = await w.device('custody', depositPolicy(w), [{ label: 'dep-1', group: 'deposit' }]);
      try {
        const attacker = randomAddress();
        const call = (functionName: 'transfer' | 'approve') => encodeFunctionData({ abi: erc20Abi, functionName, args: [attacker as `0x${string}`, 10n * ETH] });
        const attempts = [tx(attacker, ETH, w.freshNonce()), tx(w.addr.token, 0n, w.freshNonce(), { data: call('transfer') }), tx(w.addr.token, 0n, w.freshNonce(), { data: call('approve') })];
        const results = [];
        for (const t of attempts) {
          const head = await d.auditHead();
          results.push(await judgeDenied(d, v, head, await d.sign('dep-1', t), 'sweep_only'));
        }
        return { result: results.map((r) => r.result).join('; '), auditSeq: results[0]!.auditSeq, logged: results.every((r) => r.logged) };
      } finally {
        await d.stop();
      }
    },
  },
];
