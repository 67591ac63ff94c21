// Migration 2: the custody addresses the ledger answers for, one row per (chain, address): the hot
// address of a key group, and each customer's deposit addresses. The chain watcher credits inflows to
// a deposit address's customer; reconciliation compares each row's on-chain balance with its account.

export const MIGRATION_002_CUSTODY_ADDRESSES = `
CREATE TABLE ledger_custody_addresses (
  chain_id bigint NOT NULL CHECK (chain_id > 0),
  address text NOT NULL CHECK (address ~ '^0x[0-9a-f]{40}$'),
  role text NOT NULL CHECK (role IN ('hot', 'deposit')),
  customer text,
  key_id text,
  key_group text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (chain_id, address),
  CHECK ((role = 'deposit') = (customer IS NOT NULL))
);
CREATE INDEX ledger_custody_addresses_customer ON ledger_custody_addresses (customer);
`;
