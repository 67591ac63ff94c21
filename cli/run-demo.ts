// What `make run` starts (hsmctl run): a local anvil mining a block a second, where the operator guide's
// demo key holds ETH (so what it signs can be broadcast and mined; the bridge's JSON-RPC node), the demo
// appliance and its bridge, and the custody service with the withdrawal worker as one of its jobs. Each
// run's chain and ledger are new (var/demo-run/ is made again), so each run generates a new hot key in the demo's
// `withdrawals` group (a key's old nonces on an earlier chain stay used in the appliance), funds it from
// anvil's funder and posts that transfer as the demo customer's deposit, final after two blocks, so the
// ledger and the chain agree. The custody API tokens and the service's config land in var/demo-run/.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestClient, http, parseEther, type Hex } from 'viem';
import { BridgeClient } from '../ledger/bridge-client.js';
import { registerCustodyAddress } from '../ledger/custody-addresses.js';
import { NATIVE_MARKER } from '../ledger/deposit-scan.js';
import { recordFinality, recordInclusion } from '../ledger/deposits.js';
import { startAnvil, type Anvil } from '../reliability/anvil.js';
import { makeToken, type CustodyScope } from '../custody/auth.js';
import { parseConfig } from '../custody/config.js';
import { startCustody, type RunningCustody } from '../custody/main.js';
import { DEMO_CUSTODY_REQUESTER, DEMO_FEE_CAP, DEMO_WITHDRAWALS_GROUP, type DemoInfo } from './demo.js';

export const DEMO_CUSTOMER = 'demo-customer';
export const DEMO_CHAIN_ID = 31337n;
/** What the demo customer is credited with. */
export const DEMO_FUNDS = parseEther('10');
/** What the operator guide's demo key holds on each run's anvil, in ETH. */
export const DEMO_KEY_ETH = '100';

/** var/demo-run/demo-run.json: what runs and where (the quick start and its test read it). */
export interface DemoRun {
  anvilUrl: string;
  bridgeUrl: string;
  custodyUrl: string;
  customer: string;
  asset: string;
  hot: { keyId: string; address: string };
  /** Custody API token files by name: requester, operator, reader. */
  tokenFiles: Record<string, string>;
  configFile: string;
}

export interface RunningDemo {
  run: DemoRun;
  stop(): Promise<void>;
}

const hex = (v: unknown) => String(v) as Hex;

/** Waits (bounded) until `block` has `depth` blocks on top of it. */
async function waitDepth(anvil: Anvil, block: bigint, depth: bigint): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await anvil.publicClient.getBlockNumber()) < block + depth) {
    if (Date.now() > deadline) throw new Error(`block ${block} did not get ${depth} blocks on top within 30 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Starts this run's anvil (a block a second) with the demo key holding DEMO_KEY_ETH; the caller stops it. */
export async function startDemoChain(o: { demo: DemoInfo; say: (m: string) => void }): Promise<Anvil> {
  const anvil = await startAnvil({ blockTime: 1 });
  try {
    await createTestClient({ mode: 'anvil', transport: http(anvil.rpcUrl) }).setBalance({ address: hex(o.demo.address), value: parseEther(DEMO_KEY_ETH) });
    o.say(`anvil on ${anvil.rpcUrl}; the demo key ${o.demo.address} holds ${DEMO_KEY_ETH} ETH there`);
    return anvil;
  } catch (err) {
    await anvil.stop();
    throw err;
  }
}

/** Starts the custody service and its demo customer on `anvil`; the appliance and bridge must already run. Its stop leaves anvil running. */
export async function startCustodyDemo(o: { varRoot: string; demo: DemoInfo; anvil: Anvil; bridgeUrl: string; host: string; port: number; say: (m: string) => void }): Promise<RunningDemo> {
  const custodyFiles = o.demo.custody;
  if (custodyFiles === undefined) throw new Error('this demo device has no custody requester');
  const dir = join(o.varRoot, 'demo-run');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { anvil } = o;
  let custody: RunningCustody | undefined;
  try {
    o.say(`generating this run's hot key in group "${DEMO_WITHDRAWALS_GROUP}"`);
    const admin = new BridgeClient({ baseUrl: o.bridgeUrl, token: o.demo.tokens.admin! });
    const key = await admin.generateKey({ label: `demo-custody-hot-${Date.now()}`, group: DEMO_WITHDRAWALS_GROUP });
    const tokenFiles: Record<string, string> = {};
    const tokens = (['requester', 'operator', 'reader'] as CustodyScope[]).map((scope) => {
      const t = makeToken(`demo-${scope}`, [scope]);
      tokenFiles[scope] = join(dir, `${scope}.token`);
      writeFileSync(tokenFiles[scope], t.token + '\n', { mode: 0o600 });
      return t.record;
    });
    const raw = {
      http: { host: o.host, port: o.port },
      database: { dataDir: 'ledger-db' },
      tokens,
      chains: [{ chainId: Number(DEMO_CHAIN_ID), rpcUrl: anvil.rpcUrl, finality: { confirmations: 2 } }],
      bridge: { url: o.bridgeUrl, tokenFile: custodyFiles.bridgeTokenFile, requesterId: DEMO_CUSTODY_REQUESTER, requestKeyFile: custodyFiles.requestKeyFile },
      jobs: { depositsEveryMs: 2000, reconcileEveryMs: 60_000, withdrawalsEveryMs: 1000 },
      withdrawals: {
        chains: [
          {
            chainId: Number(DEMO_CHAIN_ID),
            hotKeyId: key.keyId,
            hotAddress: key.address,
            feeCap: { gasLimit: DEMO_FEE_CAP.maxGasLimit.toString(), maxFeeWei: DEMO_FEE_CAP.maxFeeWei.toString() },
            inclusionDeadlineBlocks: 10,
          },
        ],
        checks: { dailyLimits: { [`${DEMO_CHAIN_ID}:native`]: parseEther('5').toString() }, riskListFile: 'risk-list.txt' },
      },
    };
    writeFileSync(join(dir, 'risk-list.txt'), '# one address a line: no withdrawal may go to these\n');
    const configFile = join(dir, 'custody.json');
    writeFileSync(configFile, JSON.stringify(raw, null, 2) + '\n');
    custody = await startCustody(parseConfig(raw, dir), { log: (l) => process.stderr.write(`custody: ${l}\n`) });

    o.say(`funding ${key.address} from anvil's funder and crediting ${DEMO_CUSTOMER}`);
    const txHash = await anvil.funder.sendTransaction({ to: hex(key.address), value: DEMO_FUNDS, chain: anvil.funder.chain, account: anvil.funder.account! });
    const receipt = await anvil.publicClient.waitForTransactionReceipt({ hash: txHash });
    await registerCustodyAddress(custody.db, { chainId: DEMO_CHAIN_ID, address: key.address, role: 'hot', keyId: key.keyId, keyGroup: DEMO_WITHDRAWALS_GROUP });
    const seen = { txHash, logIndex: NATIVE_MARKER, from: receipt.from, to: key.address.toLowerCase(), asset: `${DEMO_CHAIN_ID}:native`, amount: DEMO_FUNDS, customer: DEMO_CUSTOMER };
    const inc = await recordInclusion(custody.db, DEMO_CHAIN_ID, { number: receipt.blockNumber, hash: receipt.blockHash }, seen);
    await waitDepth(anvil, receipt.blockNumber, 2n);
    await recordFinality(custody.db, inc.deposit);

    const run: DemoRun = {
      anvilUrl: anvil.rpcUrl,
      bridgeUrl: o.bridgeUrl,
      custodyUrl: custody.url,
      customer: DEMO_CUSTOMER,
      asset: `${DEMO_CHAIN_ID}:native`,
      hot: { keyId: key.keyId, address: key.address },
      tokenFiles,
      configFile,
    };
    writeFileSync(join(dir, 'demo-run.json'), JSON.stringify(run, null, 2) + '\n');
    const running = custody;
    return {
      run,
      stop: () => running.close(),
    };
  } catch (err) {
    await custody?.close();
    throw err;
  }
}
