// Red-team scenarios for issue 11, items 3 and 4, on a device of their own (a real ERC-20 and a
// contract that takes value, deployed on the world's anvil):
// H3   the issue's attack: transfer window used up, three approvals of 50 to a whitelisted spender,
//      then the spender's transferFrom to a stranger;
// H3b  a fresh window: approve 50, spender pulls, again, and the third approval is refused;
// H3c  increaseAllowance three times: counted in the window and capped on the spender's total;
// H3d  a Permit (EIP-2612) of 50 to a whitelisted spender with the token window used up by a transfer;
// H3e  approve 60 (mined), then a Permit of 50 to the same spender: the outstanding cap spans both;
// H3f  a Permit2 PermitSingle of 60, then approve 50 to the same spender: the Permit2 grant stays
//      outstanding (a later approve adds, it does not replace it);
// H3g  a Permit of 1 to a spender not on the whitelist;
// H4   native value with an allowlisted call to a contract that is not whitelisted;
// H4b  the contract whitelisted: its value counts against the native window.
import { createWalletClient, encodeFunctionData, getContractAddress, http, toFunctionSelector, type Hex } from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { publicPart } from '../../../cli/approver-key.js';
import type { PolicyJson } from '../../../host-bridge/policy-json.js';
import { encodePolicy, parsePolicy, policyHash } from '../../../firmware-policy/policy-document.js';
import type { CborMap } from '../../../protocol/cbor.js';
import { compileFixture, type Compiled } from '../../../test/helpers/solidity.js';
import { PERMIT2_ADDRESS, permit2AllowanceTypedData, permit2Domain, permitTypedData } from '../../../test/helpers/typed-data-fixtures.js';
import type { Scenario, Verdict, Outcome } from '../scenario.js';
import { CHAIN_ID, ETH, GWEI, ethText, randomAddress, reasonCodes, tx, type Json, type RedteamDevice, type Reply } from '../harness.js';
import { judgeDenied, judgeTypedDenied } from '../judge.js';
import type { World } from '../world.js';

const T = ETH; // one token unit, 18 decimals

interface Stage {
  dev: RedteamDevice;
  token: Compiled;
  tokenAddress: Hex;
  jarAddress: Hex;
  recipient: string;
  stranger: string;
  spender: ReturnType<typeof privateKeyToAccount>;
}

let staged: { world: World; stage: Promise<Stage> } | undefined;

function policyFor(w: World, tokenAddress: string, jarAddress: string): PolicyJson {
  return {
    defaultHoldSeconds: 172_800,
    adminQuorum: 2,
    admins: w.people.admins.map(publicPart),
    approvers: w.people.approvers.map(publicPart),
    // The principals the harness's bridge tokens are bound to (one namespace with admins and approvers).
    requesters: [{ id: 'orchestrator' }, { id: 'alice' }],
    auditors: [{ id: 'auditor' }],
    groups: {
      hot: {
        chains: [CHAIN_ID],
        whitelistRequired: true,
        holdSeconds: 0,
        assets: {
          [`${CHAIN_ID}:native`]: { perTxMax: (10n * ETH).toString(), windows: [{ seconds: 3600, maxAmount: ETH.toString(), maxCount: 1000 }], approvalTiers: [] },
          [`${CHAIN_ID}:erc20:${tokenAddress.toLowerCase()}`]: {
            perTxMax: (100n * T).toString(),
            windows: [{ seconds: 3600, maxAmount: (100n * T).toString(), maxCount: 100 }],
            approvalTiers: [],
            decimals: 18,
            approvalCap: (100n * T).toString(),
          },
        },
        contracts: [{ chainId: CHAIN_ID, address: jarAddress, selectors: [toFunctionSelector('ping()')] }],
        // The token's EIP-2612 domain and Permit2's (H3d-H3g).
        typedData: [
          { chainId: CHAIN_ID, verifyingContract: tokenAddress },
          // Uniswap Permit2's address: the domain of a PermitSingle (judged without a contract there).
          { chainId: CHAIN_ID, verifyingContract: PERMIT2_ADDRESS },
        ],
      },
      // H3h: the same token with a 1,000/h window and the cap of 100: only the outstanding cap can stop
      // a spender's allowance from growing past 100.
      wide: {
        chains: [CHAIN_ID],
        whitelistRequired: true,
        holdSeconds: 0,
        assets: {
          [`${CHAIN_ID}:native`]: { perTxMax: (10n * ETH).toString(), windows: [{ seconds: 3600, maxAmount: ETH.toString(), maxCount: 1000 }], approvalTiers: [] },
          [`${CHAIN_ID}:erc20:${tokenAddress.toLowerCase()}`]: {
            perTxMax: (100n * T).toString(),
            windows: [{ seconds: 3600, maxAmount: (1000n * T).toString(), maxCount: 100 }],
            approvalTiers: [],
            decimals: 18,
            approvalCap: (100n * T).toString(),
          },
        },
      },
    },
  };
}

/** One device, token and tip jar for all the scenarios of this file (made on first use). */
function stage(w: World): Promise<Stage> {
  if (staged?.world === w) return staged.stage;
  const make = async (): Promise<Stage> => {
    const token = compileFixture('TestToken.sol', 'TestToken');
    const jar = compileFixture('TipJar.sol', 'TipJar');
    const pc = w.chain.publicClient;
    const funder = w.chain.funder.account!;
    const chain = w.chain.funder.chain;
    const nonce = BigInt(await pc.getTransactionCount({ address: funder.address }));
    const tokenAddress = getContractAddress({ from: funder.address, nonce });
    const jarAddress = getContractAddress({ from: funder.address, nonce: nonce + 1n });
    for (const h of [
      await w.chain.funder.deployContract({ abi: token.abi, bytecode: token.bytecode, args: [funder.address, 10_000n * T], account: funder, chain }),
      await w.chain.funder.deployContract({ abi: jar.abi, bytecode: jar.bytecode, account: funder, chain }),
    ]) {
      await pc.waitForTransactionReceipt({ hash: h });
    }
    const labels = ['allow-1', 'allow-2', 'allow-3', 'value-1', 'permit-1', 'permit-2', 'permit-3', 'permit-4'];
    const dev = await w.device('allowances', policyFor(w, tokenAddress, jarAddress), [...labels.map((label) => ({ label, group: 'hot' })), { label: 'revoke-1', group: 'wide' }]);
    const setBalance = (a: string, wei: bigint) => pc.request({ method: 'anvil_setBalance' as never, params: [a, `0x${wei.toString(16)}`] as never });
    for (const label of [...labels, 'revoke-1']) {
      const { address } = dev.key(label);
      await pc.waitForTransactionReceipt({
        hash: await w.chain.funder.writeContract({ address: tokenAddress, abi: token.abi, functionName: 'transfer', args: [address, 1000n * T], account: funder, chain }),
      });
      await setBalance(address, 10n * ETH);
    }
    const spender = privateKeyToAccount(generatePrivateKey());
    await setBalance(spender.address, ETH);
    const recipient = randomAddress();
    await dev.whitelist(recipient, 'hot');
    await dev.whitelist(spender.address, 'hot');
    await dev.whitelist(spender.address, 'wide');
    return { dev, token, tokenAddress, jarAddress, recipient, stranger: randomAddress(), spender };
  };
  staged = { world: w, stage: make() };
  return staged.stage;
}

const nonceOf = (w: World, address: string) => w.chain.publicClient.getTransactionCount({ address: address as Hex, blockTag: 'pending' });

async function signCall(w: World, s: Stage, label: string, to: string, data: Hex, value = 0n): Promise<Reply> {
  return s.dev.sign(label, tx(to, value, await nonceOf(w, s.dev.key(label).address), { data, gasLimit: 100_000 }));
}

async function mine(w: World, r: Reply): Promise<void> {
  const receipt = await w.chain.publicClient.waitForTransactionReceipt({ hash: await w.chain.publicClient.sendRawTransaction({ serializedTransaction: r.json.rawTransaction as Hex }) });
  if (receipt.status !== 'success') throw new Error('setup: a signed transaction reverted');
}

const tokenCall = (s: Stage, functionName: string, args: unknown[]) => encodeFunctionData({ abi: s.token.abi, functionName, args });

/** Setup: `label` transfers 100 tokens to the recipient (signed and mined), using up its 100/h token window. */
async function useUpTokenWindow(w: World, s: Stage, label: string): Promise<void> {
  const spent = await signCall(w, s, label, s.tokenAddress, tokenCall(s, 'transfer', [s.recipient, 100n * T]));
  if (spent.status !== 200) throw new Error(`setup: the 100-token transfer got ${spent.status}`);
  await mine(w, spent);
}
const balanceOf = async (w: World, s: Stage, who: string) => (await w.chain.publicClient.readContract({ address: s.tokenAddress, abi: s.token.abi, functionName: 'balanceOf', args: [who] })) as bigint;

/** The spender pulls `amount` from `owner` to the stranger; true when mined successfully. */
async function pull(w: World, s: Stage, owner: string, amount: bigint): Promise<boolean> {
  const chain = w.chain.funder.chain;
  const wallet = createWalletClient({ account: s.spender, chain, transport: http(w.chain.rpcUrl) });
  try {
    const hash = await wallet.writeContract({ address: s.tokenAddress, abi: s.token.abi, functionName: 'transferFrom', args: [owner, s.stranger, amount], account: s.spender, chain, gas: 100_000n });
    return (await w.chain.publicClient.waitForTransactionReceipt({ hash })).status === 'success';
  } catch {
    return false;
  }
}

/** Asks for grants one after another; a signed one is mined and, with `pullEach`, pulled on to the stranger. */
async function grants(w: World, s: Stage, label: string, calls: Hex[], pullEach: bigint | null): Promise<{ statuses: number[]; refusals: Reply[]; pulled: bigint }> {
  const statuses: number[] = [];
  const refusals: Reply[] = [];
  let pulled = 0n;
  for (const data of calls) {
    const r = await signCall(w, s, label, s.tokenAddress, data);
    statuses.push(r.status);
    if (r.status !== 200) {
      refusals.push(r);
      continue;
    }
    await mine(w, r);
    if (pullEach !== null && (await pull(w, s, s.dev.key(label).address, pullEach))) pulled += pullEach;
  }
  return { statuses, refusals, pulled };
}

/** Judges the first refusal (typed, nothing signed since `head`, audited at its seq) and checks the others carry `code` too. */
async function judgeRefusals(s: Stage, v: Verdict, head: number, refusals: Reply[], code: string): Promise<Outcome> {
  const first = refusals[0];
  if (!first) {
    v.expect(false, 'no grant was refused');
    return { result: 'every grant was signed', auditSeq: null, logged: false };
  }
  const o = await judgeDenied(s.dev, v, head, first, code);
  for (const r of refusals.slice(1)) v.expect(r.status === 403 && reasonCodes(r.json).includes(code), `a later grant got ${r.status} [${reasonCodes(r.json).join(', ')}]`);
  return o;
}

/** An EIP-2612 Permit of `label`'s tokens to `to`, at the owner's current permit nonce on chain. */
async function permit(w: World, s: Stage, label: string, to: string, value: bigint): Promise<Json> {
  const owner = s.dev.key(label).address;
  const nonce = (await w.chain.publicClient.readContract({ address: s.tokenAddress, abi: s.token.abi, functionName: 'nonces', args: [owner] })) as bigint;
  return permitTypedData({ name: 'Test Token', version: '1', chainId: CHAIN_ID, verifyingContract: s.tokenAddress }, { owner, spender: to, value, nonce });
}

/** A Permit2 PermitSingle of the token to `to`. */
const permitSingle = (s: Stage, to: string, amount: bigint): Json => permit2AllowanceTypedData(permit2Domain(CHAIN_ID), to, { token: s.tokenAddress, amount });

function signTyped(s: Stage, label: string, typedData: Json): Promise<Reply> {
  return s.dev.request('POST', '/v1/sign/typed-data', s.dev.tokens.orchestrator, { keyId: s.dev.key(label).keyId, typedData }, { 'Idempotency-Key': s.dev.newRequestId('permit') });
}

const onChainAllowance = async (w: World, s: Stage, label: string) =>
  (await w.chain.publicClient.readContract({ address: s.tokenAddress, abi: s.token.abi, functionName: 'allowance', args: [s.dev.key(label).address, s.spender.address] })) as bigint;

export const allowancesScenarios: Scenario[] = [
  {
    id: 'H3',
    attacker: 'orchestrator',
    attack: 'token window used up (100/h), then 3 x approve(whitelisted spender, 50); the spender pulls to a stranger',
    expected: '403 window_amount for each approval; transferFrom reverts; stranger gets 0',
    async run(w, v) {
      const s = await stage(w);
      await useUpTokenWindow(w, s, 'allow-1');
      const head = await s.dev.auditHead();
      const approve50 = tokenCall(s, 'approve', [s.spender.address, 50n * T]);
      const g = await grants(w, s, 'allow-1', [approve50, approve50, approve50], 50n * T);
      v.expect(
        g.statuses.every((x) => x === 403),
        `approvals answered ${g.statuses.join(', ')}`,
      );
      const o = await judgeRefusals(s, v, head, g.refusals, 'window_amount');
      const pulledAnyway = await pull(w, s, s.dev.key('allow-1').address, 50n * T);
      const stranger = await balanceOf(w, s, s.stranger);
      v.expect(!pulledAnyway && stranger === 0n, `anvil: the stranger holds ${stranger}`);
      const refusedCodes = g.refusals.map((r) => reasonCodes(r.json).join('+')).join(', ');
      return { ...o, result: `${g.statuses.join('/')} [${refusedCodes}]; transferFrom ${pulledAnyway ? 'succeeds' : 'reverts'}; stranger holds ${stranger / T} tokens` };
    },
  },
  {
    id: 'H3b',
    attacker: 'orchestrator',
    attack: 'fresh 100/h token window: approve 50, spender pulls to a stranger, three times',
    expected: '2 signed, the third 403 window_amount; stranger holds exactly 100',
    async run(w, v) {
      const s = await stage(w);
      const before = await balanceOf(w, s, s.stranger);
      const head = await s.dev.auditHead();
      const approve50 = tokenCall(s, 'approve', [s.spender.address, 50n * T]);
      const g = await grants(w, s, 'allow-2', [approve50, approve50, approve50], 50n * T);
      v.expect(g.statuses.join(',') === '200,200,403', `approvals answered ${g.statuses.join(', ')}`);
      // judgeDenied looks for signatures after `head`: the two legitimate grants come before the refusal.
      const refusedAt = Number(g.refusals[0]?.json.auditSeq ?? head + 1) - 1;
      const o = await judgeRefusals(s, v, refusedAt, g.refusals, 'window_amount');
      const moved = (await balanceOf(w, s, s.stranger)) - before;
      v.expect(moved === 100n * T && g.pulled === 100n * T, `anvil: the stranger received ${moved}, the window is 100 tokens`);
      return { ...o, result: `${g.statuses.join('/')}; the stranger received ${moved / T} tokens (the window)` };
    },
  },
  {
    id: 'H3c',
    attacker: 'orchestrator',
    attack: 'increaseAllowance(spender, 40) three times (cap and window 100)',
    expected: '2 signed, the third 403 allowance_total_above_cap + window_amount',
    async run(w, v) {
      const s = await stage(w);
      const head = await s.dev.auditHead();
      const inc40 = tokenCall(s, 'increaseAllowance', [s.spender.address, 40n * T]);
      const g = await grants(w, s, 'allow-3', [inc40, inc40, inc40], null);
      v.expect(g.statuses.join(',') === '200,200,403', `grants answered ${g.statuses.join(', ')}`);
      const refusedAt = Number(g.refusals[0]?.json.auditSeq ?? head + 1) - 1;
      const o = await judgeRefusals(s, v, refusedAt, g.refusals, 'allowance_total_above_cap');
      v.expect(reasonCodes(g.refusals[0]?.json ?? {}).includes('window_amount'), 'the grant is not counted in the window');
      const onChain = await onChainAllowance(w, s, 'allow-3');
      v.expect(onChain === 80n * T, `anvil: the allowance is ${onChain}`);
      return { ...o, result: `${g.statuses.join('/')} [${reasonCodes(g.refusals[0]?.json ?? {}).join(', ')}]; allowance on chain ${onChain / T}` };
    },
  },
  {
    id: 'H3d',
    attacker: 'orchestrator',
    attack: 'token window used up (100/h), then an EIP-2612 Permit(whitelisted spender, 50)',
    expected: '403 window_amount, audited; no signature to submit; allowance on chain 0',
    async run(w, v) {
      const s = await stage(w);
      await useUpTokenWindow(w, s, 'permit-1');
      const head = await s.dev.auditHead();
      const r = await signTyped(s, 'permit-1', await permit(w, s, 'permit-1', s.spender.address, 50n * T));
      const o = await judgeTypedDenied(s.dev, v, head, r, 'window_amount');
      const held = await onChainAllowance(w, s, 'permit-1');
      v.expect(held === 0n, `anvil: the spender's allowance is ${held}`);
      return { ...o, result: `${o.result}; allowance on chain ${held / T}` };
    },
  },
  {
    id: 'H3e',
    attacker: 'orchestrator',
    attack: 'approve(spender, 60) signed and mined, then a Permit(spender, 50) (cap and window 100)',
    expected: '403 allowance_total_above_cap (+ window_amount): the outstanding cap spans approve and Permit',
    async run(w, v) {
      const s = await stage(w);
      const approve = await signCall(w, s, 'permit-2', s.tokenAddress, tokenCall(s, 'approve', [s.spender.address, 60n * T]));
      if (approve.status !== 200) throw new Error(`setup: approve 60 got ${approve.status}`);
      await mine(w, approve);
      const head = await s.dev.auditHead();
      const r = await signTyped(s, 'permit-2', await permit(w, s, 'permit-2', s.spender.address, 50n * T));
      const o = await judgeTypedDenied(s.dev, v, head, r, 'allowance_total_above_cap');
      const held = await onChainAllowance(w, s, 'permit-2');
      v.expect(held === 60n * T, `anvil: the spender's allowance is ${held}`);
      return { ...o, result: `${o.result}; allowance on chain ${held / T}` };
    },
  },
  {
    id: 'H3f',
    attacker: 'orchestrator',
    attack: 'a Permit2 PermitSingle(spender, 60) signed, then approve(spender, 50) (cap and window 100)',
    expected: '403 allowance_total_above_cap + window_amount: the Permit2 grant is counted and stays outstanding',
    async run(w, v) {
      const s = await stage(w);
      const granted = await signTyped(s, 'permit-3', permitSingle(s, s.spender.address, 60n * T));
      if (granted.status !== 200) throw new Error(`setup: the PermitSingle of 60 got ${granted.status} [${reasonCodes(granted.json).join(', ')}]`);
      const head = await s.dev.auditHead();
      const r = await signCall(w, s, 'permit-3', s.tokenAddress, tokenCall(s, 'approve', [s.spender.address, 50n * T]));
      const o = await judgeDenied(s.dev, v, head, r, 'allowance_total_above_cap');
      v.expect(reasonCodes(r.json).includes('window_amount'), 'the Permit2 grant is not counted in the window');
      return o;
    },
  },
  {
    id: 'H3g',
    attacker: 'orchestrator',
    attack: 'a Permit(stranger, 1): a spender not on the whitelist',
    expected: '403 not_whitelisted, audited',
    async run(w, v) {
      const s = await stage(w);
      const head = await s.dev.auditHead();
      const r = await signTyped(s, 'permit-4', await permit(w, s, 'permit-4', s.stranger, 1n * T));
      return judgeTypedDenied(s.dev, v, head, r, 'not_whitelisted');
    },
  },
  {
    id: 'H4',
    attacker: 'orchestrator',
    attack: '0.5 ETH with an allowlisted call (ping()) to a contract not on the whitelist',
    expected: '403 not_whitelisted; a value-0 call still signs',
    async run(w, v) {
      const s = await stage(w);
      const ping = encodeFunctionData({ abi: [{ type: 'function', name: 'ping', inputs: [], outputs: [], stateMutability: 'payable' }], functionName: 'ping' });
      const head = await s.dev.auditHead();
      const r = await signCall(w, s, 'value-1', s.jarAddress, ping, ETH / 2n);
      const o = await judgeDenied(s.dev, v, head, r, 'not_whitelisted');
      const free = await signCall(w, s, 'value-1', s.jarAddress, ping);
      v.expect(free.status === 200, `a value-0 call got ${free.status}`);
      if (free.status === 200) await mine(w, free);
      return { ...o, result: `${o.result}; value 0: ${free.status}` };
    },
  },
  {
    id: 'H4b',
    attacker: 'orchestrator',
    attack: 'contract whitelisted: 0.6 ETH, then 0.6 ETH more with ping() under a 1 ETH/h native window',
    expected: 'first signed, second 403 window_amount',
    async run(w, v) {
      const s = await stage(w);
      await s.dev.whitelist(s.jarAddress, 'hot');
      const ping = encodeFunctionData({ abi: [{ type: 'function', name: 'ping', inputs: [], outputs: [], stateMutability: 'payable' }], functionName: 'ping' });
      const first = await signCall(w, s, 'value-1', s.jarAddress, ping, (6n * ETH) / 10n);
      if (first.status !== 200) throw new Error(`setup: the first 0.6 ETH call got ${first.status} [${reasonCodes(first.json).join(', ')}]`);
      await mine(w, first);
      const head = await s.dev.auditHead();
      const r = await signCall(w, s, 'value-1', s.jarAddress, ping, (6n * ETH) / 10n);
      const o = await judgeDenied(s.dev, v, head, r, 'window_amount');
      const held = await w.chain.publicClient.getBalance({ address: s.jarAddress });
      v.expect(held === (6n * ETH) / 10n, `anvil: the contract holds ${held}`);
      return { ...o, result: `${o.result}; contract holds ${ethText(held)}` };
    },
  },
  {
    id: 'H3h',
    attacker: 'orchestrator',
    attack: 'approve(spender, 100) mined; a revoke, approve(spender, 0), signed at the next nonce and then cancelled there; increaseAllowance(spender, 100) (cap 100, window 1,000)',
    expected: '403 allowance_total_above_cap: a revoke that may never execute lowers no bound; the spender holds 100, not 200',
    async run(w, v) {
      const s = await stage(w);
      const label = 'revoke-1';
      const me = s.dev.key(label).address;
      const grant = await signCall(w, s, label, s.tokenAddress, tokenCall(s, 'approve', [s.spender.address, 100n * T]));
      if (grant.status !== 200) throw new Error(`setup: approve 100 got ${grant.status} [${reasonCodes(grant.json).join(', ')}]`);
      await mine(w, grant);
      const n = await nonceOf(w, me);
      const revoke = await s.dev.sign(label, tx(s.tokenAddress, 0n, n, { data: tokenCall(s, 'approve', [s.spender.address, 0n]), gasLimit: 100_000 }));
      if (revoke.status !== 200) throw new Error(`setup: the revoke got ${revoke.status}`);
      // The revoke never lands: its nonce is taken by a cancel (0 to the key's own address, fees +10%).
      const cancel = await s.dev.sign(label, tx(me, 0n, n, { maxFee: 22n * GWEI, tip: (11n * GWEI) / 10n }));
      if (cancel.status !== 200) throw new Error(`setup: the cancel got ${cancel.status} [${reasonCodes(cancel.json).join(', ')}]`);
      await mine(w, cancel);
      const head = await s.dev.auditHead();
      const r = await signCall(w, s, label, s.tokenAddress, tokenCall(s, 'increaseAllowance', [s.spender.address, 100n * T]));
      const o = await judgeDenied(s.dev, v, head, r, 'allowance_total_above_cap');
      const held = await onChainAllowance(w, s, label);
      v.expect(held === 100n * T, `anvil: the spender's allowance is ${held / T}`);
      return { ...o, result: `${o.result}; allowance on chain ${held / T}` };
    },
  },
  {
    id: 'H3i',
    attacker: 'admin',
    attack:
      "propose a policy that allowlists Permit2's approve(address,address,uint160,uint48) as a plain contract call (grants the firmware would sign uncounted), and a call to the group's own token",
    expected: '400 bad_request for each, the refusals audited, nothing proposed',
    async run(w, v) {
      const s = await stage(w);
      const d = s.dev;
      const head = await d.auditHead();
      const active = (await d.client.call('policy.get')) as CborMap;
      const doc = parsePolicy(active.document as CborMap);
      const hot = doc.groups.hot!;
      const next = (contracts: NonNullable<typeof hot.contracts>) => ({
        ...doc,
        version: doc.version + 1,
        parentHash: policyHash(doc),
        groups: { ...doc.groups, hot: { ...hot, contracts: [...(hot.contracts ?? []), ...contracts] } },
      });
      const selector = (sig: string) => new Uint8Array(Buffer.from(toFunctionSelector(sig).slice(2), 'hex'));
      const permit2 = new Uint8Array(Buffer.from(PERMIT2_ADDRESS.slice(2), 'hex'));
      const token = new Uint8Array(Buffer.from(s.tokenAddress.slice(2), 'hex'));
      const tries = [
        next([{ chainId: BigInt(CHAIN_ID), address: permit2, selectors: [selector('approve(address,address,uint160,uint48)')] }]),
        next([{ chainId: BigInt(CHAIN_ID), address: token, selectors: [selector('transferAndCall(address,uint256,bytes)')] }]),
      ];
      const answers: Reply[] = [];
      for (const t of tries) answers.push(await d.request('POST', '/v1/policy/proposals', d.tokens.admin, { document: '0x' + Buffer.from(encodePolicy(t)).toString('hex') }));
      v.expect(
        answers.every((r) => r.status === 400 && r.json.code === 'bad_request'),
        `answers: ${answers.map((r) => `${r.status} ${String(r.json.code ?? r.json.status)}`).join(', ')}`,
      );
      const since = await d.auditSince(head);
      v.expect(!since.some((p) => p.kind === 'policy.propose'), 'a policy proposal was recorded');
      const refusals = since.filter((p) => p.kind === 'refusal' && p.command === 'policy.propose' && p.code === 'bad_request');
      const first = refusals[0]?.seq;
      const logged = v.recorded(refusals.length === 2 && Number(first) === Number(answers[0]?.json.details?.auditSeq), `refusal entries: ${refusals.length}`);
      return { result: `${answers.map((r) => `${r.status} ${String(r.json.code)}`).join(', ')}; nothing proposed`, auditSeq: first === undefined ? null : Number(first), logged };
    },
  },
];
