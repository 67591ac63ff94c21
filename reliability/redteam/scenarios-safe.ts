// Red-team scenarios for Safe co-signing (issue 18 item 3), ids `S<n>`: a compromised orchestrator
// asks the device's key, an owner of a Safe its policy lists, to co-sign Safe transactions that would
// move the Safe's funds past the policy. They run on a device of their own ("safe") whose "hot" group
// lists one Safe (an address only: the refusals come before any chain is asked) and whitelists the
// world's recipient.
// - S1: a SafeTx with operation 1 (delegatecall) to a whitelisted address: refused safe_delegatecall.
// - S1b: a SafeTx whose inner call sends 1 ETH to a stranger: refused not_whitelisted, as a direct
//   transfer would be; and one whose inner call is an ERC-20 transfer of the world's token to the
//   stranger (the recipient hidden in the inner calldata): refused not_whitelisted too.
// - S1c: a SafeTx to a whitelisted address that pays a gas refund to the stranger: refused safe_gas_refund.
import type { PolicyJson } from '../../host-bridge/policy-json.js';
import type { Scenario } from './scenario.js';
import { CHAIN_ID, ETH, type Json, type RedteamDevice, type Reply } from './harness.js';
import { mainPolicy, type World } from './world.js';
import { judgeTypedDenied } from './judge.js';
import { erc20Transfer, safeTxTypedData, type SafeTxFields } from '../../test/helpers/safe-tx.js';

/** The Safe the policy lists (the refusals never reach a chain, so no contract is needed at it). */
const SAFE = '0x5afe000000000000000000000000000000005afe';

function safePolicy(w: World): PolicyJson {
  const p = mainPolicy(w.people, w.addr.token);
  p.groups.hot!.safes = [{ chainId: CHAIN_ID, address: SAFE }];
  return p;
}

let safeDevice: Promise<RedteamDevice> | undefined;
function device(w: World): Promise<RedteamDevice> {
  safeDevice ??= (async () => {
    const d = await w.device('safe', safePolicy(w), [{ label: 'hot-1', group: 'hot' }]);
    await d.whitelist(w.addr.recipient, 'hot');
    return d;
  })();
  return safeDevice;
}

let safeNonce = 0;
function signSafeTx(d: RedteamDevice, f: Omit<SafeTxFields, 'nonce'>): Promise<Reply> {
  const typedData = safeTxTypedData(CHAIN_ID, SAFE, { ...f, nonce: safeNonce++ }) as unknown as Json;
  return d.request('POST', '/v1/sign/typed-data', d.tokens.orchestrator, { keyId: d.key('hot-1').keyId, typedData }, { 'Idempotency-Key': d.newRequestId('safe') });
}

export const safeScenarios: Scenario[] = [
  {
    id: 'S1',
    attacker: 'orchestrator',
    attack: 'a SafeTx delegatecall (operation 1) to a whitelisted address, on a Safe the policy lists',
    expected: '403 safe/safe_delegatecall',
    async run(w, v) {
      const d = await device(w);
      const head = await d.auditHead();
      const r = await signSafeTx(d, { to: w.addr.recipient, operation: 1 });
      return judgeTypedDenied(d, v, head, r, 'safe_delegatecall');
    },
  },
  {
    id: 'S1b',
    attacker: 'orchestrator',
    attack: 'a SafeTx whose inner call sends 1 ETH to a stranger, and one whose inner call is an ERC-20 transfer to the stranger',
    expected: '403 whitelist/not_whitelisted for both (the inner call judged as a transaction)',
    async run(w, v) {
      const d = await device(w);
      const head = await d.auditHead();
      const native = await signSafeTx(d, { to: w.addr.stranger, value: ETH });
      const token = await signSafeTx(d, { to: w.addr.token, data: erc20Transfer(w.addr.stranger, ETH) });
      const o1 = await judgeTypedDenied(d, v, head, native, 'not_whitelisted');
      const o2 = await judgeTypedDenied(d, v, head, token, 'not_whitelisted');
      return { result: `ETH: ${o1.result}; token: ${o2.result}`, auditSeq: o1.auditSeq, logged: o1.logged && o2.logged };
    },
  },
  {
    id: 'S1c',
    attacker: 'orchestrator',
    attack: 'a SafeTx of 0.1 ETH to a whitelisted address that pays a gas refund (gasPrice 1 gwei) to the stranger',
    expected: '403 safe/safe_gas_refund',
    async run(w, v) {
      const d = await device(w);
      const head = await d.auditHead();
      const r = await signSafeTx(d, { to: w.addr.recipient, value: ETH / 10n, baseGas: 1_000_000n, gasPrice: 10n ** 9n, refundReceiver: w.addr.stranger });
      return judgeTypedDenied(d, v, head, r, 'safe_gas_refund');
    },
  },
];
