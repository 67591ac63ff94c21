// The hot-wallet baseline: viem's local account signTransaction (key in process memory) for EIP-1559
// transfers, as fast as one process can. Run as its own process.
// Usage: node dist/bench/viem-sign.js '<json: {count}>'
import { privateKeyToAccount, generatePrivateKey } from 'viem/accounts';

async function main(count: number) {
  const account = privateKeyToAccount(generatePrivateKey());
  const to = privateKeyToAccount(generatePrivateKey()).address;
  const tx = (nonce: number) => ({ type: 'eip1559' as const, chainId: 31337, nonce, to, value: 1000n, gas: 21000n, maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n });
  for (let i = 0; i < 100; i++) await account.signTransaction(tx(i)); // warm-up
  const started = performance.now();
  for (let i = 0; i < count; i++) await account.signTransaction(tx(i));
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(JSON.stringify({ mode: 'viem', count, seconds, per_s: Math.round((count / seconds) * 10) / 10 }) + '\n');
}

main(Number(JSON.parse(process.argv[2] ?? '{"count":1000}').count)).catch((err: unknown) => {
  process.stderr.write(`viem-sign failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
