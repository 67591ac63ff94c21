// The default label of a customer's deposit key: any customer id the custody service accepts (1-128 of
// A-Z a-z 0-9 . _ @ -) gives a label the appliance's key.generate accepts (KEY_LABEL_RE). The appliance
// itself refusing a label is test/e2e/custody-deposits.test.ts's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultDepositLabel, KEY_LABEL_RE } from '../../ledger/deposit-addresses.js';
import { OWNER_RE } from '../../custody/routes/balances.js';

test("a customer's '@' becomes '_', and a long id is cut to the appliance's 64 characters", () => {
  assert.equal(defaultDepositLabel('carol'), 'dep-carol');
  assert.equal(defaultDepositLabel('erin@example.com'), 'dep-erin_example.com');
  const long = 'a@'.repeat(64);
  assert.ok(OWNER_RE.test(long));
  const label = defaultDepositLabel(long);
  assert.equal(label, `dep-${'a_'.repeat(30)}`);
  assert.equal(label.length, 64);
  for (const customer of ['x', 'x.y_z-1', '@', long, 'A'.repeat(128)]) assert.ok(KEY_LABEL_RE.test(defaultDepositLabel(customer)), customer);
  for (const bad of ['', 'has space', 'x'.repeat(65), 'é']) assert.ok(!KEY_LABEL_RE.test(bad), bad);
});
