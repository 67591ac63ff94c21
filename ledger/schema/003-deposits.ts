// Migration 3: the chain watcher's state. Each deposit it saw (one row per inclusion: a transaction
// re-mined in another block after a reorg is a new row), the ledger entries it posted for it, and its
// status; per chain, the next block to scan; and the hashes of the blocks scanned but not yet final,
// which tell the watcher when the chain it read has been replaced (a reorg).

export const MIGRATION_003_DEPOSITS = `
CREATE TABLE ledger_deposits (
  id bigserial PRIMARY KEY,
  chain_id bigint NOT NULL CHECK (chain_id > 0),
  tx_hash text NOT NULL CHECK (tx_hash ~ '^0x[0-9a-f]{64}$'),
  -- the Transfer log's index in its block, or -1 for the transaction's own value (native coin)
  log_index integer NOT NULL CHECK (log_index >= -1),
  block_number bigint NOT NULL CHECK (block_number >= 0),
  block_hash text NOT NULL CHECK (block_hash ~ '^0x[0-9a-f]{64}$'),
  from_address text NOT NULL CHECK (from_address ~ '^0x[0-9a-f]{40}$'),
  to_address text NOT NULL CHECK (to_address ~ '^0x[0-9a-f]{40}$'),
  asset text NOT NULL,
  amount numeric(78, 0) NOT NULL CHECK (amount > 0),
  customer text NOT NULL,
  status text NOT NULL CHECK (status IN ('included', 'final', 'removed')),
  -- journal entry ids; not foreign keys, so that what refuses a TRUNCATE of the journal is the
  -- journal's own append-only trigger, whatever else refers to it
  inclusion_entry_id bigint,
  finality_entry_id bigint,
  reversal_entry_id bigint,
  seen_at timestamptz NOT NULL DEFAULT now(),
  CHECK (status <> 'final' OR (inclusion_entry_id IS NOT NULL AND finality_entry_id IS NOT NULL))
);
-- One live (included or final) row per transfer: whatever happens, a transfer is credited once.
CREATE UNIQUE INDEX ledger_deposits_live ON ledger_deposits (chain_id, tx_hash, log_index) WHERE status <> 'removed';
CREATE INDEX ledger_deposits_open ON ledger_deposits (chain_id, status, block_number);
CREATE INDEX ledger_deposits_customer ON ledger_deposits (customer);

CREATE TABLE ledger_chain_cursors (
  chain_id bigint PRIMARY KEY CHECK (chain_id > 0),
  next_block bigint NOT NULL CHECK (next_block >= 0)
);

CREATE TABLE ledger_scanned_blocks (
  chain_id bigint NOT NULL,
  number bigint NOT NULL CHECK (number >= 0),
  hash text NOT NULL CHECK (hash ~ '^0x[0-9a-f]{64}$'),
  PRIMARY KEY (chain_id, number)
);
`;
