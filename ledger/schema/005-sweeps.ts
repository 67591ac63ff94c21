// Migration 5: sweeps from deposit addresses to their group's hot address (ledger/sweep.ts). A row is
// written before the appliance is asked (status `signing`, with the bridge request id it will use, so a
// crash and retry asks again under the same id and gets the same answer), then records the decision,
// the broadcast transaction, and at finality its fee, block and the journal entry that posted it. At
// most one sweep per address is in flight (signing, pending approval or broadcast). `entry_id` names
// the journal entry without a foreign key, so the journal stays the one table nothing else holds on to.

export const MIGRATION_005_SWEEPS = `
CREATE TABLE ledger_sweeps (
  id bigserial PRIMARY KEY,
  chain_id bigint NOT NULL CHECK (chain_id > 0),
  from_address text NOT NULL CHECK (from_address ~ '^0x[0-9a-f]{40}$'),
  to_address text NOT NULL CHECK (to_address ~ '^0x[0-9a-f]{40}$'),
  asset text NOT NULL,
  key_id text NOT NULL,
  nonce bigint NOT NULL CHECK (nonce >= 0),
  amount numeric(78,0) NOT NULL CHECK (amount > 0),
  gas_limit numeric(78,0) NOT NULL CHECK (gas_limit > 0),
  max_fee_per_gas numeric(78,0) NOT NULL CHECK (max_fee_per_gas > 0),
  max_priority_fee_per_gas numeric(78,0) NOT NULL CHECK (max_priority_fee_per_gas >= 0),
  request_id text NOT NULL UNIQUE,
  status text NOT NULL CHECK (status IN ('signing', 'pending_approval', 'denied', 'broadcast', 'settled', 'reverted')),
  reasons text,
  audit_seq bigint,
  tx_hash text,
  raw_tx text,
  block_number bigint,
  fee numeric(78,0),
  entry_id bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (chain_id, from_address) REFERENCES ledger_custody_addresses (chain_id, address),
  FOREIGN KEY (chain_id, to_address) REFERENCES ledger_custody_addresses (chain_id, address)
);
CREATE UNIQUE INDEX ledger_sweeps_one_in_flight ON ledger_sweeps (chain_id, from_address) WHERE status IN ('signing', 'pending_approval', 'broadcast');
CREATE INDEX ledger_sweeps_status ON ledger_sweeps (status);
`;
