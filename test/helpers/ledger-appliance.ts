// The custody side's end-to-end rig, shared by the ledger tests that go through the real appliance:
// anvil with the solc-compiled TestToken deployed by its funder; the appliance on SoftHSM2 with a hot
// key, under a policy with a hot group and a deposit group (ETH and the token) that only the custody
// service's requester may use, stamped with its own request key; a policy change, approved by the
// admin quorum, that makes the deposit group a sweep group into the hot key's address; and the bridge
// served over HTTP, reached by the ledger's fetch client with an admin's token and the custody token.
import assert from 'node:assert/strict';
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { serve, type ServerType } from '@hono/node-server';
import type { Hex, PublicClient } from 'viem';
import { signStatement } from '../../cli/approver-key.js';
import { encodePolicyChangeStatement } from '../../firmware-policy/policy-governance.js';
import { createApp } from '../../host-bridge/app.js';
import { addToken, readTokens, TokenVerifier } from '../../host-bridge/auth.js';
import type { PolicyJson } from '../../host-bridge/policy-json.js';
import { erc20Asset, nativeAsset } from '../../ledger/assets.js';
import { BridgeClient } from '../../ledger/bridge-client.js';
import type { Finality } from '../../ledger/chain.js';
import type { Db } from '../../ledger/db.js';
import type { StampingPrincipal } from '../../ledger/request-stamps.js';
import type { SweepContext } from '../../ledger/sweep.js';
import { startAnvil, type Anvil } from './anvil.js';
import { deployFromFunder, nextFunderDeployment } from './e2e-token.js';
import { compileFixture, type Compiled } from './solidity.js';
import { CHAIN_ID, ETH, startTestDevice, testPolicyJson, type TestDevice, type TestPeople } from './test-device.js';

/** The chain's fee cap in the policy, handed to sweeps so they stay under it. */
export const FEE_CAP = { maxGasLimit: 100_000n, maxFeeWei: 10n ** 16n };

export interface LedgerAppliance {
  anvil: Anvil;
  dev: TestDevice;
  token: Compiled;
  tokenAddress: Hex;
  /** The hot key's address, lower case: the deposit group's sweepTo. */
  hotAddress: string;
  hotKeyId: string;
  /** The bridge's HTTP base URL, and the two tokens its clients carry (for a custody service's config). */
  bridgeUrl: string;
  adminToken: string;
  custodyToken: string;
  /** The bridge with an admin's token (scope admin: makes deposit keys). */
  adminBridge: BridgeClient;
  /** The bridge with the custody service's requester token (scope orchestrator). */
  custodyBridge: BridgeClient;
  deviceId: string;
  /** The admin whose token adminBridge carries, stamping with its key. */
  admin: Required<StampingPrincipal>;
  /** The custody service as a requester, stamping with its request key. */
  custody: Required<StampingPrincipal>;
  /** A sweep context for a ledger database, under the given finality. */
  sweepContext(db: Db, finality: Finality): SweepContext;
  /** Mines `blocks` blocks on anvil (anvil_mine: no waiting). */
  mine(blocks: number): Promise<void>;
  /** An anvil RPC call. */
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** The audit entry at `seq`, read through the bridge as an auditor. */
  auditEntry(seq: unknown): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

function basePolicy(p: TestPeople, custodyPublicKey: Uint8Array, tokenAddress: Hex): PolicyJson {
  const base = testPolicyJson(p, { holdSeconds: 0 });
  return {
    ...base,
    feeCaps: { [String(CHAIN_ID)]: { maxGasLimit: FEE_CAP.maxGasLimit.toString(), maxFeeWei: FEE_CAP.maxFeeWei.toString() } },
    requesters: [...(base.requesters ?? []), { id: 'custody', alg: 'ES256', publicKey: `0x${bytesToHex(custodyPublicKey)}`, groups: ['deposit'] }],
    groups: {
      ...base.groups,
      deposit: {
        chains: [CHAIN_ID],
        whitelistRequired: true,
        holdSeconds: null,
        requireSignedRequests: true,
        assets: {
          [nativeAsset(CHAIN_ID)]: { perTxMax: (100n * ETH).toString(), windows: [{ seconds: 3600, maxAmount: (500n * ETH).toString(), maxCount: 100 }], approvalTiers: [] },
          [erc20Asset(CHAIN_ID, tokenAddress)]: { perTxMax: (10_000n * ETH).toString(), windows: [], approvalTiers: [], decimals: 18 },
        },
      },
    },
  };
}

/** Proposes `next` through the bridge and approves it with two admins (a stricter change activates at once). */
async function changePolicy(dev: TestDevice, next: PolicyJson): Promise<Record<string, unknown>> {
  const proposed = await dev.request('POST', '/v1/policy/proposals', dev.tokens.admin, { policy: next });
  assert.equal(proposed.status, 201, JSON.stringify(proposed.json));
  assert.equal(proposed.json.stricter, true, 'setting sweepTo only tightens');
  const st = proposed.json.statement as { proposalId: string; version: number; hash: string };
  let last = proposed.json;
  for (const admin of dev.people.admins.slice(0, 2)) {
    const expiresAt = Math.floor(Date.now() / 1000) + 600;
    const sig = signStatement(
      admin,
      encodePolicyChangeStatement(dev.deviceId, { id: st.proposalId, version: st.version, hash: Buffer.from(st.hash.slice(2), 'hex'), proposedBy: '' }, admin.id, expiresAt),
    );
    const r = await dev.request('POST', `/v1/policy/proposals/${st.proposalId}/approvals`, dev.tokens.admin, { adminId: admin.id, expiresAt, signature: '0x' + Buffer.from(sig).toString('hex') });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    last = r.json;
  }
  return last;
}

/** Starts anvil, the token, the appliance and the bridge, and applies the sweep policy. */
export async function startLedgerAppliance(): Promise<LedgerAppliance> {
  const custodySecret = p256.keygen().secretKey;
  const custody = { id: 'custody', stamp: (statement: Uint8Array) => p256.sign(sha256(statement), custodySecret, { prehash: false, format: 'der' }) };
  const anvil = await startAnvil();
  let dev: TestDevice | undefined;
  let server: ServerType | undefined;
  const stop = async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    await dev?.stop();
    await anvil.stop();
  };
  try {
    const token = compileFixture('TestToken.sol', 'TestToken');
    const tokenAddress = await nextFunderDeployment(anvil);
    await deployFromFunder(anvil, token, [anvil.funder.account!.address, 1_000_000n * ETH], tokenAddress);
    const policy = (p: TestPeople) => basePolicy(p, p256.getPublicKey(custodySecret, false), tokenAddress);
    const started = await startTestDevice({ keys: [{ label: 'hot-1', group: 'hot' }], policy });
    dev = started;
    const hot = dev.keys.find((k) => k.label === 'hot-1')!;
    const hotAddress = String(hot.address).toLowerCase();
    // The custody service's own requester token, and the bridge served over HTTP for its fetch client.
    const custodyToken = addToken(dev.paths.bridgeTokens, 'custody', ['orchestrator'], 'custody');
    const app = createApp({ appliance: dev.client, tokens: new TokenVerifier(readTokens(dev.paths.bridgeTokens)) });
    const port = await new Promise<number>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => resolve(info.port));
    });
    // The server never times out an idle keep-alive connection: a test's event loop held up for seconds
    // (PGlite starting, on a loaded machine) would otherwise have the server close a socket just as
    // fetch reuses it (ECONNRESET). fetch closes its own idle sockets.
    (server as unknown as { keepAliveTimeout: number }).keepAliveTimeout = 0;
    const baseUrl = `http://127.0.0.1:${port}`;
    const adminBridge = new BridgeClient({ baseUrl, token: dev.tokens.admin });
    const custodyBridge = new BridgeClient({ baseUrl, token: custodyToken });
    // The deposit group becomes a sweep group into the hot key's address.
    const next = policy(dev.people);
    next.groups.deposit = { ...next.groups.deposit!, sweepTo: hotAddress };
    const changed = await changePolicy(dev, next);
    assert.equal(changed.status, 'active', JSON.stringify(changed));
    const deviceId = await custodyBridge.deviceId();
    const admin3 = dev.people.admins[2]!; // the admin token's principal stamps its key.generate
    const rpc = async <T>(method: string, params: unknown[] = []) => (await (anvil.publicClient as PublicClient).request({ method: method as never, params: params as never })) as T;
    return {
      anvil,
      dev,
      token,
      tokenAddress,
      hotAddress,
      hotKeyId: String(hot.keyId),
      bridgeUrl: baseUrl,
      adminToken: dev.tokens.admin,
      custodyToken,
      adminBridge,
      custodyBridge,
      deviceId,
      admin: { id: admin3.id, stamp: (st) => signStatement(admin3, st) },
      custody,
      sweepContext: (db, finality) => ({
        db,
        bridge: custodyBridge,
        requester: custody,
        deviceId,
        chain: { chainId: BigInt(CHAIN_ID), finality },
        client: anvil.publicClient as PublicClient,
        feeCap: FEE_CAP,
      }),
      mine: async (blocks) => {
        await rpc('anvil_mine', [`0x${blocks.toString(16)}`]);
      },
      rpc,
      auditEntry: async (seq) => {
        const page = await started.request('GET', `/v1/audit?fromSeq=${Number(seq)}&limit=1`, started.tokens.auditor);
        return ((page.json.entries as { payload: Record<string, unknown> }[])[0]?.payload ?? {}) as Record<string, unknown>;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
