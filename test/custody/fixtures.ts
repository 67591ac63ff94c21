// Shared by the custody service's tests: a ledger with postings made through postEntry (two customers'
// deposits, a withdrawal request, a reversal), API tokens of each scope, and a request helper.
import { customerAccount, custodyAccount } from '../../ledger/accounts.js';
import { erc20Asset, nativeAsset } from '../../ledger/assets.js';
import type { Db } from '../../ledger/db.js';
import { postEntry, reverseEntry } from '../../ledger/journal.js';
import { hashToken, type CustodyTokenRecord } from '../../custody/auth.js';
import { creditFinalDeposit } from '../helpers/ledger-deposit.js';

export const ETH = nativeAsset(31337);
export const TOKEN = erc20Asset(31337, '0x5FbDB2315678afecb367f032d93F642f64180aa3');
export const HOT = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';

export const READER_TOKEN = 'cst_reader_token_for_tests_0001';
export const OPERATOR_TOKEN = 'cst_operator_token_for_tests_0002';
export const REQUESTER_TOKEN = 'cst_requester_token_for_tests_0003';
export const TOKEN_RECORDS: CustodyTokenRecord[] = [
  { name: 'reader', scopes: ['reader'], sha256: hashToken(READER_TOKEN) },
  { name: 'operator', scopes: ['operator'], sha256: hashToken(OPERATOR_TOKEN) },
  { name: 'payouts-service', scopes: ['requester'], sha256: hashToken(REQUESTER_TOKEN) },
];

/** A finalized deposit to the hot address: inclusion then finality (two entries; test/helpers/ledger-deposit.ts). */
export async function deposit(db: Db, customer: string, amount: bigint, key: string, asset = ETH): Promise<void> {
  await creditFinalDeposit(db, { customer, custody: HOT, asset, amount, key });
}

/**
 * The standard book: alice deposits 5 ETH (entries 1, 2) and 1000 tokens (3, 4); bob deposits 2 ETH
 * (5, 6); alice asks to withdraw 1 ETH (7); a deposit to bob is included (8) then reversed by a reorg (9).
 */
export async function standardBook(db: Db): Promise<void> {
  await deposit(db, 'alice', 5n * 10n ** 18n, 'dep-a1');
  await deposit(db, 'alice', 1000n, 'dep-a2', TOKEN);
  await deposit(db, 'bob', 2n * 10n ** 18n, 'dep-b1');
  const a = customerAccount('alice', ETH);
  await postEntry(db, {
    kind: 'withdrawal.request',
    idempotencyKey: 'wd-1:req',
    trace: { traceId: 'wd-1' },
    lines: [
      { account: a, state: 'available', amount: -(10n ** 18n) },
      { account: a, state: 'reserved', amount: 10n ** 18n },
    ],
  });
  const b = customerAccount('bob', ETH);
  const included = await postEntry(db, {
    kind: 'deposit.inclusion',
    idempotencyKey: 'dep-b2:inc',
    trace: { traceId: 'dep-b2' },
    lines: [
      { account: b, state: 'pending', amount: 7n },
      { account: custodyAccount(HOT, ETH), state: 'pending', amount: -7n },
    ],
  });
  await reverseEntry(db, { entryId: included.entry.id, idempotencyKey: 'dep-b2:reorg' });
}
