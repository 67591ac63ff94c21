// Migration 6: deposit addresses derived from an HD account's extended public key (ledger/hd-deposits.ts).
// `ledger_hd_accounts` holds each (wallet, account) xpub the custody service read once from the
// appliance, and the next address index to hand out: an allocation takes the row's lock, increments
// it and registers the address in the same transaction, so an index is given once or not at all.
// `ledger_hd_addresses` names the path behind each such deposit address (unique per wallet, account and
// index, and per chain and address); `key_id` is set once the appliance derived the key into its token
// for a sweep and answered the same address; `mismatch` records an answer that was not, and then
// no sweep is asked from the address.

export const MIGRATION_006_HD_DEPOSITS = `
CREATE TABLE ledger_hd_accounts (
  wallet_id text NOT NULL CHECK (wallet_id ~ '^[A-Za-z0-9._-]{1,64}$'),
  account integer NOT NULL CHECK (account >= 0),
  xpub text NOT NULL,
  next_index bigint NOT NULL DEFAULT 0 CHECK (next_index >= 0 AND next_index <= 2147483648),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (wallet_id, account)
);
CREATE TABLE ledger_hd_addresses (
  wallet_id text NOT NULL,
  account integer NOT NULL,
  address_index integer NOT NULL CHECK (address_index >= 0),
  chain_id bigint NOT NULL,
  address text NOT NULL,
  customer text NOT NULL,
  label text NOT NULL,
  key_id text,
  mismatch text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (wallet_id, account, address_index),
  UNIQUE (chain_id, address),
  FOREIGN KEY (wallet_id, account) REFERENCES ledger_hd_accounts (wallet_id, account),
  FOREIGN KEY (chain_id, address) REFERENCES ledger_custody_addresses (chain_id, address)
);
`;
