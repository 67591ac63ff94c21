// Keeps configured secrets out of logs and answers: a chain's RPC URL often carries an API key in its
// path or query (…/v3/<key>), and an error from the RPC client quotes the URL. `redactor` replaces each
// configured URL, and its path and query on their own, with a placeholder naming the chain.
import type { ChainConfig } from '../ledger/chain.js';

export function redactor(chains: readonly Pick<ChainConfig, 'chainId' | 'rpcUrl'>[]): (text: string) => string {
  const pairs: [string, string][] = [];
  for (const c of chains) {
    const label = `<rpc url of chain ${c.chainId}>`;
    pairs.push([c.rpcUrl, label]);
    try {
      const u = new URL(c.rpcUrl);
      const rest = `${u.pathname}${u.search}`;
      if (rest.length > 1) pairs.push([rest, label]);
    } catch {
      // the config checked the URL already
    }
  }
  // Longest first, so a URL is replaced whole before its path is.
  pairs.sort((a, b) => b[0].length - a[0].length);
  return (text) => pairs.reduce((t, [secret, label]) => t.split(secret).join(label), text);
}
