// The JSON shapes the custody API answers with: amounts and chain ids as decimal strings (never JSON
// numbers, which lose precision above 2^53), accounts with their four states.
import type { AccountBalance } from '../ledger/balances.js';
import type { CustodyAddress } from '../ledger/custody-addresses.js';
import type { Entry } from '../ledger/entry.js';

export interface BalanceView {
  accountId: string;
  kind: string;
  owner: string;
  asset: string;
  available: string;
  reserved: string;
  pending: string;
  settled: string;
}

export const balanceView = (b: AccountBalance): BalanceView => ({
  accountId: b.accountId,
  kind: b.kind,
  owner: b.owner,
  asset: b.asset,
  available: b.available.toString(),
  reserved: b.reserved.toString(),
  pending: b.pending.toString(),
  settled: b.settled.toString(),
});

export const entryView = (e: Entry) => ({
  id: String(e.id),
  kind: e.kind,
  idempotencyKey: e.idempotencyKey,
  trace: e.trace,
  reverses: e.reverses === null ? null : String(e.reverses),
  lines: e.lines.map((l) => ({ accountId: l.accountId, accountKind: l.accountKind, asset: l.asset, state: l.state, amount: l.amount.toString() })),
});

export const addressView = (a: CustodyAddress) => ({
  chainId: a.chainId.toString(),
  address: a.address,
  role: a.role,
  ...(a.customer !== undefined ? { customer: a.customer } : {}),
  ...(a.keyId !== undefined ? { keyId: a.keyId } : {}),
  ...(a.keyGroup !== undefined ? { keyGroup: a.keyGroup } : {}),
});
