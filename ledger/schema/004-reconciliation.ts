// Migration 4: reconciliation with the chain. Each run is stored with its rows (one per custody
// address and asset); each break opens an exception (the suspense entry that absorbed it, open until
// an operator resolves it); events are an outbox the custody service streams from, ids increasing in
// commit order. Suspense may now go negative (value that left a custody address unexplained), so the
// floor of suspense balances opened before this migration is lifted too.

export const MIGRATION_004_RECONCILIATION = `
CREATE TABLE ledger_reconciliations (
  id bigserial PRIMARY KEY,
  chain_id bigint NOT NULL CHECK (chain_id > 0),
  block bigint NOT NULL CHECK (block >= 0),
  run_at timestamptz NOT NULL,
  rows jsonb NOT NULL,
  break_count integer NOT NULL CHECK (break_count >= 0)
);
CREATE INDEX ledger_reconciliations_chain ON ledger_reconciliations (chain_id, id);

CREATE TABLE ledger_exceptions (
  id bigserial PRIMARY KEY,
  chain_id bigint NOT NULL CHECK (chain_id > 0),
  address text NOT NULL CHECK (address ~ '^0x[0-9a-f]{40}$'),
  asset text NOT NULL,
  amount numeric(78, 0) NOT NULL CHECK (amount > 0),
  block bigint NOT NULL CHECK (block >= 0),
  reconciliation_id bigint NOT NULL REFERENCES ledger_reconciliations (id),
  kind text NOT NULL CHECK (kind IN ('unknown_inflow', 'missing_outflow')),
  -- The suspense entry, posted in the same transaction. No foreign key: the journal is append-only (its
  -- entries never go away), and a reference would make TRUNCATE fail on the key before the journal's own
  -- append-only trigger refuses it.
  entry_id bigint NOT NULL UNIQUE,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  resolved_by text,
  resolution_note text,
  created_at timestamptz NOT NULL,
  resolved_at timestamptz,
  CHECK ((status = 'resolved') = (resolved_by IS NOT NULL AND resolved_at IS NOT NULL))
);
CREATE INDEX ledger_exceptions_status ON ledger_exceptions (status, id);

CREATE TABLE ledger_events (
  id bigserial PRIMARY KEY,
  type text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL
);

UPDATE ledger_balances SET floor_zero = false
  WHERE account_id IN (SELECT id FROM ledger_accounts WHERE kind = 'suspense');
`;
