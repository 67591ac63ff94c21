// The world the red team attacks: one main device (three key groups: "hot" with approval tiers and an
// ERC-20, "sweep" with a small rolling window, "vault" with a day-long whitelist hold), a real anvil
// node on chain 31337 holding the keys' funds, and a second anvil standing in for chain 1 (mainnet),
// where a replayed signature must be refused. Scenarios that need a device of their own (a second
// device, tampered state) make throwaway ones under the same var/ (same emulated manufacturer).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hex } from 'viem';
import type { PolicyJson } from '../../host-bridge/policy-json.js';
import { publicPart } from '../../cli/approver-key.js';
import { startAnvil, type Anvil } from '../anvil.js';
import { CHAIN_ID, ETH, GWEI, makePeople, randomAddress, RedteamDevice, type People } from './harness.js';

export interface World {
  varRoot: string;
  people: People;
  main: RedteamDevice;
  /** The main device's active policy as JSON; a scenario that changes it updates this. */
  policy: PolicyJson;
  chain: Anvil;
  /** A second node with chain id 1, for the cross-chain replay. */
  mainnet: Anvil;
  addr: { recipient: string; token: string; spender: string; stranger: string };
  /** A nonce no other scenario uses, for requests that must never be signed. */
  freshNonce(): number;
  /** Makes a throwaway device beside the main one. */
  device(name: string, policy: PolicyJson, keys: { label: string; group: string }[]): Promise<RedteamDevice>;
  close(): Promise<void>;
}

const big = (10n ** 30n).toString();

export function mainPolicy(people: People, token: string): PolicyJson {
  return {
    defaultHoldSeconds: 172_800,
    changeDelaySeconds: 3600,
    adminQuorum: 2,
    admins: people.admins.map(publicPart),
    approvers: people.approvers.map(publicPart),
    // The ids the harness's bridge tokens are bound to (one namespace with admins and approvers).
    requesters: [{ id: 'orchestrator' }, { id: 'alice' }],
    auditors: [{ id: 'auditor' }],
    feeCaps: { [String(CHAIN_ID)]: { maxGasLimit: 200_000, maxFeeWei: (200_000n * 50n * GWEI).toString() } },
    groups: {
      hot: {
        chains: [CHAIN_ID],
        whitelistRequired: true,
        holdSeconds: 0,
        assets: {
          [`${CHAIN_ID}:native`]: {
            perTxMax: (10n * ETH).toString(),
            windows: [{ seconds: 3600, maxAmount: (1000n * ETH).toString(), maxCount: 1000 }],
            approvalTiers: [{ above: ETH.toString(), required: 2 }],
          },
          [`${CHAIN_ID}:erc20:${token.toLowerCase()}`]: { perTxMax: (1000n * ETH).toString(), windows: [], approvalTiers: [], decimals: 18, approvalCap: (500n * ETH).toString() },
        },
      },
      sweep: {
        chains: [CHAIN_ID],
        whitelistRequired: true,
        holdSeconds: 0,
        assets: { [`${CHAIN_ID}:native`]: { perTxMax: ETH.toString(), windows: [{ seconds: 3600, maxAmount: (3n * ETH).toString(), maxCount: 1000 }], approvalTiers: [] } },
      },
      vault: {
        chains: [CHAIN_ID],
        whitelistRequired: true,
        holdSeconds: 86_400,
        assets: { [`${CHAIN_ID}:native`]: { perTxMax: (10n * ETH).toString(), windows: [{ seconds: 3600, maxAmount: big, maxCount: 1000 }], approvalTiers: [] } },
      },
    },
  };
}

async function fund(chain: Anvil, address: string, wei: bigint): Promise<void> {
  await chain.publicClient.request({ method: 'anvil_setBalance' as never, params: [address, `0x${wei.toString(16)}`] as never });
}

export async function buildWorld(say: (m: string) => void): Promise<World> {
  const varRoot = mkdtempSync(join(tmpdir(), 'redteam-'));
  const people = makePeople();
  const addr = { recipient: randomAddress(), token: randomAddress(), spender: randomAddress(), stranger: randomAddress() };
  const devices: RedteamDevice[] = [];
  const anvils = Promise.all([startAnvil(), startAnvil({ chainId: 1 })]);
  const policy = mainPolicy(people, addr.token);
  say('creating the main device (SoftHSM2 token, appliance process, bridge)');
  const main = await RedteamDevice.start({
    varRoot,
    name: 'main',
    people,
    policy,
    keys: [
      { label: 'hot-1', group: 'hot' },
      { label: 'sweep-1', group: 'sweep' },
      { label: 'vault-1', group: 'vault' },
    ],
  });
  devices.push(main);
  for (const a of [addr.recipient, addr.token, addr.spender]) await main.whitelist(a, 'hot');
  await main.whitelist(addr.recipient, 'sweep');
  const [chain, mainnet] = await anvils;
  for (const label of ['hot-1', 'sweep-1']) await fund(chain, main.key(label).address, 100n * ETH);
  await fund(mainnet, main.key('hot-1').address, 100n * ETH);
  let nonce = 10_000;
  return {
    varRoot,
    people,
    main,
    policy,
    chain,
    mainnet,
    addr,
    freshNonce: () => nonce++,
    async device(name, p, keys) {
      const d = await RedteamDevice.start({ varRoot, name, people, policy: p, keys });
      devices.push(d);
      return d;
    },
    async close() {
      for (const d of devices) await d.stop().catch(() => undefined);
      await Promise.all([chain.stop(), mainnet.stop()]);
      rmSync(varRoot, { recursive: true, force: true });
    },
  };
}

/** The pending-nonce of a key on the chain (what the orchestrator would use next). */
export async function chainNonce(w: World, address: string): Promise<number> {
  return w.chain.publicClient.getTransactionCount({ address: address as Hex, blockTag: 'pending' });
}
