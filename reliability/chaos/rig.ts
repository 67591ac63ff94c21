// The chaos run's world: anvil with automine off (the run mines), an ERC-20 (TestToken.sol), the real
// appliance on its SoftHSM2 token with a policy of a hot group (an approval tier on ETH, a fee cap, the
// token), the bridge served over HTTP, fault-injecting JSON-RPC proxies in front of anvil as the
// endpoints, and a throwaway PostgreSQL server holding the ledger and the orchestrator's schemas. The
// hot address is funded on chain and registered as a custody address; the customers are credited by
// deposit postings that add up to what the hot address received, so the ledger matches the chain.
import { generateKeyPairSync } from 'node:crypto';
import { serve, type ServerType } from '@hono/node-server';
import { encodeFunctionData, erc20Abi, parseEther, type Hex, type PublicClient } from 'viem';
import { createApp } from '../../host-bridge/app.js';
import { readTokens, TokenVerifier } from '../../host-bridge/auth.js';
import type { PolicyJson } from '../../host-bridge/policy-json.js';
import { erc20Asset, nativeAsset } from '../../ledger/assets.js';
import { registerCustodyAddress } from '../../ledger/custody-addresses.js';
import type { Db } from '../../ledger/db.js';
import { openLedgerDb } from '../../ledger/open-ledger.js';
import { migrateOrchestrator } from '../../orchestrator/migrations.js';
import { deployFromFunder, nextFunderDeployment } from '../../test/helpers/e2e-token.js';
import { startPostgres, type PostgresServer } from '../../test/helpers/postgres.js';
import { compileFixture } from '../../test/helpers/solidity.js';
import { CHAIN_ID, ETH, startTestDevice, testPolicyJson, type TestDevice, type TestPeople } from '../../test/helpers/test-device.js';
import { startAnvil, type Anvil } from '../anvil.js';
import { startRpcProxy, type RpcProxy } from '../rpc-proxy.js';

export const NATIVE = nativeAsset(CHAIN_ID);
/** The policy's fee cap on anvil: 100k gas at most, 0.01 ETH of fee at most. */
export const FEE_CAP = { maxGasLimit: 100_000n, maxFeeWei: 10n ** 16n };
/** Above 1 ETH two of the three approvers must sign (testPolicyJson's tier). */
export const APPROVAL_ABOVE = ETH;

export interface Rig {
  anvil: Anvil;
  dev: TestDevice;
  bridgeUrl: string;
  proxies: RpcProxy[];
  pg: PostgresServer;
  databaseUrl: string;
  db: Db;
  hot: { keyId: string; address: Hex };
  /** The orchestrator requester's request key (PKCS#8 PEM, P-256): the policy requires its stamps. */
  requestKeyPem: string;
  token: Hex;
  tokenAsset: string;
  rpc(method: string, params?: unknown[]): Promise<unknown>;
  /** Sends a transaction from anvil's funder (it is mined with the next block). */
  funderSend(to: Hex, value: bigint, data?: Hex): Promise<Hex>;
  stop(): Promise<void>;
}

/** A P-256 request key: its PEM for the workers, its public point (SEC 1, uncompressed, 0x hex) for the policy. */
function requestKey(): { pem: string; publicKey: string } {
  const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = k.publicKey.export({ format: 'jwk' });
  const coord = (v: string | undefined) => Buffer.from(v!, 'base64url').toString('hex');
  return { pem: k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey: `0x04${coord(jwk.x)}${coord(jwk.y)}` };
}

function policy(token: Hex, orchestratorKey: string) {
  return (p: TestPeople): PolicyJson => {
    const base = testPolicyJson(p, { holdSeconds: 0, windowMax: 1_000_000n * ETH });
    return {
      ...base,
      requesters: (base.requesters ?? []).map((r) => (r.id === 'orchestrator' ? { ...r, alg: 'ES256', publicKey: orchestratorKey } : r)),
      feeCaps: { [String(CHAIN_ID)]: { maxGasLimit: FEE_CAP.maxGasLimit.toString(), maxFeeWei: FEE_CAP.maxFeeWei.toString() } },
      groups: {
        hot: {
          ...base.groups.hot!,
          whitelistRequired: false,
          requireSignedRequests: true,
          assets: { ...base.groups.hot!.assets, [erc20Asset(CHAIN_ID, token)]: { perTxMax: (10_000_000n * ETH).toString(), windows: [], approvalTiers: [], decimals: 18 } },
        },
      },
    };
  };
}

/**
 * Starts the world. `durable` keeps PostgreSQL's fsync and synchronous commit (a benchmark: bench/
 * withdrawals.ts); the chaos run leaves them off.
 */
export async function startRig(o: { endpoints: number; durable?: boolean }): Promise<Rig> {
  const anvil = await startAnvil();
  const stops: (() => Promise<void>)[] = [() => anvil.stop()];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    const rpc = (method: string, params: unknown[] = []) => (anvil.publicClient as PublicClient).request({ method: method as never, params: params as never });
    const compiled = compileFixture('TestToken.sol', 'TestToken');
    const token = await nextFunderDeployment(anvil);
    await deployFromFunder(anvil, compiled, [anvil.funder.account!.address, 100_000_000n * ETH], token);
    const key = requestKey();
    const dev = await startTestDevice({ policy: policy(token, key.publicKey) });
    stops.push(() => dev.stop());
    const hot = { keyId: String(dev.keys[0]!.keyId), address: String(dev.keys[0]!.address).toLowerCase() as Hex };
    const app = createApp({ appliance: dev.client, tokens: new TokenVerifier(readTokens(dev.paths.bridgeTokens)) });
    let server: ServerType | undefined;
    const port = await new Promise<number>((resolve) => {
      server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => resolve(info.port));
    });
    stops.push(() => new Promise<void>((resolve) => server!.close(() => resolve())));
    const proxies: RpcProxy[] = [];
    for (let i = 0; i < o.endpoints; i++) proxies.push(await startRpcProxy(anvil.rpcUrl));
    for (const p of proxies) stops.push(() => p.stop());
    const pg = await startPostgres({ durable: o.durable === true });
    stops.push(() => pg.stop());
    const databaseUrl = await pg.createDatabase('chaos');
    const db = await openLedgerDb({ url: databaseUrl });
    stops.push(() => db.close());
    await migrateOrchestrator(db);
    await registerCustodyAddress(db, { chainId: BigInt(CHAIN_ID), address: hot.address, role: 'hot', keyId: hot.keyId, keyGroup: 'hot' });
    await rpc('evm_setAutomine', [false]);
    const funderSend = async (to: Hex, value: bigint, data?: Hex): Promise<Hex> =>
      anvil.funder.sendTransaction({ to, value, ...(data === undefined ? {} : { data }), gas: data === undefined ? 21_000n : 100_000n, chain: anvil.funder.chain, account: anvil.funder.account! });
    return {
      anvil,
      dev,
      bridgeUrl: `http://127.0.0.1:${port}`,
      proxies,
      pg,
      databaseUrl,
      db,
      hot,
      requestKeyPem: key.pem,
      token,
      tokenAsset: erc20Asset(CHAIN_ID, token),
      rpc,
      funderSend,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** The calldata of an ERC-20 transfer. */
export const transferData = (to: Hex, amount: bigint): Hex => encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [to, amount] });

export { parseEther };
