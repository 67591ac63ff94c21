// Rule for a sweep group (GroupPolicy.sweepTo, a customer's deposit keys): a key may only send to the
// group's one sweep address, by a native transfer with no calldata or by an ERC-20 `transfer` of its own
// tokens. Any other recipient, `transferFrom`, `approve` or other call, and a contract creation, is
// denied with `sweep_only`. Typed data is denied in rules/typed-data.ts. The asset, its limits, the
// chain and the fee cap are judged as for any group.
import { equalBytes } from '../../protocol/bytes.js';
import type { Reason } from '../decision.js';
import type { TransferIntent } from '../intent.js';

export function checkSweepOnly(sweepTo: Uint8Array, intent: TransferIntent): Reason[] {
  const deny = (message: string): Reason[] => [{ rule: 'sweep', code: 'sweep_only', message, detail: { sweepTo, to: intent.to } }];
  if (intent.to === null) return deny('a sweep key creates no contract');
  const plainTransfer = intent.kind === 'evm-transfer' && intent.data.length === 0;
  const tokenTransfer = intent.kind === 'erc20-transfer' && intent.tokenFrom === undefined;
  if (!plainTransfer && !tokenTransfer) return deny('a sweep key makes no call but a native or ERC-20 transfer to its sweep address');
  if (!equalBytes(intent.to, sweepTo)) return deny('a sweep key sends to its sweep address only');
  return [];
}
