// Red-team scenarios against what a transaction does: its recipient, hold, amount over time, token
// calldata, allowance, nonce, chain and fee. The attacker controls the orchestrator (or the bridge)
// and sends well-formed requests the policy must refuse.
import Database from 'better-sqlite3';
import { encodeFunctionData, erc20Abi, maxUint256, type Hex } from 'viem';
import type { Outcome, Scenario } from './scenario.js';
import { ETH, ethText, GWEI, randomAddress, reasonCodes, tx } from './harness.js';
import { judgeDenied } from './judge.js';
import { chainNonce } from './world.js';

const short = (a: string) => `${a.slice(0, 8)}…`;

export const transactionScenarios: Scenario[] = [
  {
    id: '1',
    attacker: 'orchestrator',
    attack: 'transfer to an address not on the whitelist',
    expected: '403 whitelist/not_whitelisted',
    async run(w, v) {
      const head = await w.main.auditHead();
      const r = await w.main.sign('hot-1', tx(w.addr.stranger, ETH / 2n, w.freshNonce()));
      return judgeDenied(w.main, v, head, r, 'not_whitelisted');
    },
  },
  {
    id: '2',
    attacker: 'orchestrator',
    attack: 'pay an address the admins just whitelisted, during its hold',
    expected: '403 whitelist/whitelist_hold',
    async run(w, v) {
      const fresh = randomAddress();
      const accepted = await w.main.whitelist(fresh, 'vault');
      v.expect(accepted.status === 'accepted' && Number(accepted.activeAt) > Date.now() / 1000 + 3600, `setup: whitelist entry ${String(accepted.status)}, active at ${String(accepted.activeAt)}`);
      const head = await w.main.auditHead();
      const r = await w.main.sign('vault-1', tx(fresh, ETH, w.freshNonce()));
      const o = await judgeDenied(w.main, v, head, r, 'whitelist_hold');
      return { ...o, result: `${o.result}; active in ${Math.round(Number(accepted.activeAt) - Date.now() / 1000)} s` };
    },
  },
  {
    id: '3',
    attacker: 'orchestrator',
    attack: 'split 5 ETH into 10 x 0.5 ETH under a 3 ETH/h window',
    expected: '6 signed (3 ETH), then 403 window_amount',
    async run(w, v) {
      const m = w.main;
      const from = m.key('sweep-1');
      const before = await w.chain.publicClient.getBalance({ address: w.addr.recipient as Hex });
      const head = await m.auditHead();
      let nonce = await chainNonce(w, from.address);
      let signed = 0n;
      const denials: string[][] = [];
      let firstDenial: { requestId: string; auditSeq: number } | undefined;
      for (let i = 0; i < 10; i++) {
        const r = await m.sign('sweep-1', tx(w.addr.recipient, ETH / 2n, nonce));
        if (r.status === 200) {
          const hash = await w.chain.publicClient.sendRawTransaction({ serializedTransaction: r.json.rawTransaction as Hex });
          await w.chain.publicClient.waitForTransactionReceipt({ hash });
          signed += ETH / 2n;
          nonce++;
        } else {
          denials.push(reasonCodes(r.json));
          firstDenial ??= { requestId: String(r.json.requestId), auditSeq: Number(r.json.auditSeq) };
        }
      }
      v.expect(signed === 3n * ETH, `signed ${signed} wei, the window is 3 ETH`);
      v.expect(denials.length === 4 && denials.every((c) => c.length === 1 && c[0] === 'window_amount'), `denials: ${JSON.stringify(denials)}`);
      const db = new Database(m.paths.stateDb, { readonly: true });
      const reserved = (db.prepare('SELECT amount FROM spend WHERE key_id = ?').all(from.keyId) as { amount: string }[]).reduce((t, x) => t + BigInt(x.amount), 0n);
      db.close();
      v.expect(reserved === 3n * ETH, `spend counter ${reserved} wei`);
      const received = (await w.chain.publicClient.getBalance({ address: w.addr.recipient as Hex })) - before;
      v.expect(received === 3n * ETH, `anvil: the recipient received ${received} wei`);
      const seq = firstDenial
        ? await m.findAudit(head, (p) => p.kind === 'sign.evm-tx' && p.requestId === firstDenial.requestId && p.outcome === 'deny' && reasonCodes(p).includes('window_amount'))
        : null;
      const logged = v.recorded(seq !== null && seq === firstDenial?.auditSeq, 'no audit entry for the first window denial');
      return { result: `${ethText(signed)} of 5 ETH signed and mined, then ${denials.length} x 403 window_amount; spend counter ${ethText(reserved)}`, auditSeq: seq, logged };
    },
  },
  {
    id: '10',
    attacker: 'orchestrator',
    attack: 'ERC-20 transfer to a stranger through the whitelisted token',
    expected: '403 not_whitelisted (recipient from calldata)',
    async run(w, v) {
      const head = await w.main.auditHead();
      const data = encodeFunctionData({ abi: erc20Abi, functionName: 'transfer', args: [w.addr.stranger as Hex, 5n * ETH] });
      const r = await w.main.sign('hot-1', tx(w.addr.token, 0n, w.freshNonce(), { data }));
      const o = await judgeDenied(w.main, v, head, r, 'not_whitelisted');
      const entry = (await w.main.auditSince(head)).find((p) => Number(p.seq) === o.auditSeq);
      const to = String(entry?.intent?.to ?? '').toLowerCase();
      v.expect(to === w.addr.stranger.toLowerCase(), `the decoded recipient in the log is ${to}, not the calldata's`);
      return { ...o, result: `${o.result}; logged recipient ${short(to)} = calldata's` };
    },
  },
  {
    id: '11',
    attacker: 'orchestrator',
    attack: 'ERC-20 approve(spender, 2^256-1)',
    expected: '403 allowance/unlimited_approval',
    async run(w, v) {
      const head = await w.main.auditHead();
      const data = encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [w.addr.spender as Hex, maxUint256] });
      const r = await w.main.sign('hot-1', tx(w.addr.token, 0n, w.freshNonce(), { data }));
      return judgeDenied(w.main, v, head, r, 'unlimited_approval');
    },
  },
  {
    id: '13',
    attacker: 'orchestrator',
    attack: 'second, different transfer at an already signed nonce',
    expected: '403 nonce-guard/nonce_conflict',
    async run(w, v) {
      const m = w.main;
      const from = m.key('hot-1').address;
      const nonce = await chainNonce(w, from);
      const original = await m.sign('hot-1', tx(w.addr.recipient, ETH / 2n, nonce));
      if (original.status !== 200) throw new Error(`setup: the original transfer got ${original.status}`);
      const mined = await w.chain.publicClient.waitForTransactionReceipt({ hash: await w.chain.publicClient.sendRawTransaction({ serializedTransaction: original.json.rawTransaction as Hex }) });
      const head = await m.auditHead();
      const r = await m.sign('hot-1', tx(w.addr.spender, ETH, nonce, { maxFee: 40n * GWEI, tip: 2n * GWEI }));
      const o = await judgeDenied(m, v, head, r, 'nonce_conflict');
      v.expect(mined.transactionHash === original.json.txHash && (await chainNonce(w, from)) === nonce + 1, 'anvil: the mined transaction at that nonce is not the original');
      return { ...o, result: `${o.result}; anvil mined only the original` };
    },
  },
  {
    id: '13c',
    attacker: 'orchestrator',
    attack: 'a "cancel" at a signed nonce that is not one: 1 wei to self, data to self, 0 to another address',
    expected: '3 x 403 nonce_conflict; the true cancel (0 to self, fees +10%) signs',
    async run(w, v) {
      const m = w.main;
      const self = m.key('hot-1').address;
      const nonce = w.freshNonce();
      const original = await m.sign('hot-1', tx(w.addr.recipient, ETH / 2n, nonce));
      if (original.status !== 200) throw new Error(`setup: the original transfer got ${original.status}`);
      const bumped = { maxFee: 30n * GWEI, tip: 2n * GWEI };
      const fakes = [tx(self, 1n, nonce, bumped), tx(self, 0n, nonce, { ...bumped, data: '0xdeadbeef' }), tx(w.addr.recipient, 0n, nonce, bumped)];
      const results: string[] = [];
      let first: Outcome | undefined;
      for (const fake of fakes) {
        const head = await m.auditHead();
        const o = await judgeDenied(m, v, head, await m.sign('hot-1', fake), 'nonce_conflict');
        first ??= o;
        results.push(o.result);
      }
      const cancel = await m.sign('hot-1', tx(self, 0n, nonce, bumped));
      v.expect(cancel.status === 200 && typeof cancel.json.rawTransaction === 'string', `the true cancel got ${cancel.status} ${JSON.stringify(cancel.json.reasons ?? cancel.json.code)}`);
      return { result: `${results.length} fake cancels refused (${results[0]}); the true cancel signed`, auditSeq: first?.auditSeq ?? null, logged: first?.logged ?? false };
    },
  },
  {
    id: '14',
    attacker: 'orchestrator',
    attack: 'same transfer for chain 1; replay a 31337 signature on chain 1',
    expected: '403 chain_not_allowed; node refuses the replay',
    async run(w, v) {
      const m = w.main;
      const from = m.key('hot-1').address as Hex;
      const head = await m.auditHead();
      const r = await m.sign('hot-1', tx(w.addr.recipient, ETH / 2n, 0, { chainId: 1 }));
      const o = await judgeDenied(m, v, head, r, 'chain_not_allowed');
      // A transfer legitimately signed for 31337, broadcast by the attacker on the other chain.
      const legit = await m.sign('hot-1', tx(w.addr.recipient, ETH / 10n, await chainNonce(w, from)));
      if (legit.status !== 200) throw new Error(`setup: the 31337 transfer got ${legit.status}`);
      let refusal = 'accepted';
      try {
        await w.mainnet.publicClient.sendRawTransaction({ serializedTransaction: legit.json.rawTransaction as Hex });
      } catch (err) {
        refusal = String((err as { details?: string }).details ?? (err as Error).message);
      }
      v.expect(/chain id/i.test(refusal), `chain 1 node: ${refusal}`);
      v.expect((await w.mainnet.publicClient.getTransactionCount({ address: from })) === 0, "chain 1: the key's nonce moved");
      await w.chain.publicClient.waitForTransactionReceipt({ hash: await w.chain.publicClient.sendRawTransaction({ serializedTransaction: legit.json.rawTransaction as Hex }) });
      return { ...o, result: `${o.result}; chain 1 node: "${refusal}"` };
    },
  },
  {
    id: '15',
    attacker: 'orchestrator',
    attack: 'drain the key through fees (max fee 10000 gwei; gas limit 5M)',
    expected: '403 fee_above_cap; 403 gas_limit_above_cap',
    async run(w, v) {
      const m = w.main;
      const head = await m.auditHead();
      const fee = await m.sign('hot-1', tx(w.addr.recipient, 1n, w.freshNonce(), { maxFee: 10_000n * GWEI, tip: 10_000n * GWEI }));
      const o = await judgeDenied(m, v, head, fee, 'fee_above_cap');
      const gasHead = await m.auditHead();
      const gas = await m.sign('hot-1', tx(w.addr.recipient, 1n, w.freshNonce(), { gasLimit: 5_000_000, maxFee: GWEI }));
      const g = await judgeDenied(m, v, gasHead, gas, 'gas_limit_above_cap');
      return { result: `${o.result}; ${g.result}`, auditSeq: o.auditSeq, logged: o.logged && g.logged };
    },
  },
];
