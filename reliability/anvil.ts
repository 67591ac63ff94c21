// Starts a real local EVM node: anvil from the npm package @foundry-rs/anvil (its binary, no wrapper).
// Shared by the end-to-end tests (test/helpers/anvil.ts re-exports it) and the red-team run.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createServer } from 'node:net';
import { createPublicClient, createWalletClient, http, type PublicClient, type WalletClient, type Chain } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';

const require = createRequire(import.meta.url);

export function anvilBinary(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  return join(dirname(require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/package.json`)), 'bin', 'anvil');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Anvil's first well-known development account (public test key, funded by anvil at genesis). */
export const ANVIL_FUNDER_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' as const;

export const anvilChain: Chain = {
  id: 31337,
  name: 'anvil',
  nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 },
  rpcUrls: { default: { http: ['http://127.0.0.1:8545'] } },
};

export interface Anvil {
  rpcUrl: string;
  publicClient: PublicClient;
  funder: WalletClient;
  stop(): Promise<void>;
}

/** Starts anvil on a free port; `chainId` (default 31337) lets a second node stand in for another chain; `blockTime` (seconds) mines on an interval instead of on each transaction. */
export async function startAnvil(opts: { chainId?: number; blockTime?: number } = {}): Promise<Anvil> {
  const port = await freePort();
  const chainId = opts.chainId ?? anvilChain.id;
  const interval = opts.blockTime === undefined ? [] : ['--block-time', String(opts.blockTime)];
  const child: ChildProcess = spawn(anvilBinary(), ['--port', String(port), '--host', '127.0.0.1', '--chain-id', String(chainId), '--silent', ...interval], { stdio: 'ignore' });
  const rpcUrl = `http://127.0.0.1:${port}`;
  const chain = { ...anvilChain, id: chainId, rpcUrls: { default: { http: [rpcUrl] } } };
  // No cache: viem keeps a block number for 4 s by default, and a test that mines and then asks would read an old one.
  const publicClient = createPublicClient({ chain, transport: http(rpcUrl), cacheTime: 0 }) as PublicClient;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await publicClient.getChainId();
      break;
    } catch (err) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error(`anvil did not start: ${String(err)}`, { cause: err });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const funder = createWalletClient({ chain, transport: http(rpcUrl), account: privateKeyToAccount(ANVIL_FUNDER_KEY) });
  return {
    rpcUrl,
    publicClient,
    funder,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
