// Orchestrator migration 1: withdrawals and their transaction attempts, each with an append-only log
// of its transitions (cause, actor, trace id), and the nonce reservations per (chain, from). The
// orchestrator shares the ledger's database, so a state change and its ledger posting commit together.

export const ORCH_MIGRATION_001 = `
CREATE TABLE orch_withdrawals (
  id text PRIMARY KEY,
  seq bigserial UNIQUE,
  idempotency_key text NOT NULL UNIQUE,
  fingerprint text NOT NULL,
  customer text NOT NULL,
  chain_id bigint NOT NULL CHECK (chain_id > 0),
  asset text NOT NULL,
  to_address text NOT NULL CHECK (to_address ~ '^0x[0-9a-f]{40}$'),
  amount numeric(78, 0) NOT NULL CHECK (amount > 0),
  state text NOT NULL,
  trace_id text NOT NULL,
  from_address text,
  travel_rule jsonb,
  travel_rule_hash text CHECK (travel_rule_hash ~ '^0x[0-9a-f]{64}$'),
  requested_at timestamptz NOT NULL,
  created_by text NOT NULL,
  automatic_actions integer NOT NULL DEFAULT 0,
  inconsistent_rounds integer NOT NULL DEFAULT 0,
  lease_owner text,
  lease_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orch_withdrawals_customer ON orch_withdrawals (customer, seq);
CREATE INDEX orch_withdrawals_window ON orch_withdrawals (customer, asset, requested_at);
CREATE INDEX orch_withdrawals_state ON orch_withdrawals (state);

CREATE TABLE orch_withdrawal_transitions (
  seq bigserial PRIMARY KEY,
  withdrawal_id text NOT NULL REFERENCES orch_withdrawals (id),
  from_state text,
  to_state text NOT NULL,
  cause text NOT NULL,
  actor text NOT NULL,
  trace_id text NOT NULL,
  detail jsonb,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orch_withdrawal_transitions_withdrawal ON orch_withdrawal_transitions (withdrawal_id, seq);

CREATE TABLE orch_attempts (
  id text PRIMARY KEY,
  seq bigserial UNIQUE,
  withdrawal_id text NOT NULL REFERENCES orch_withdrawals (id),
  chain_id bigint NOT NULL,
  from_address text NOT NULL,
  nonce numeric(20, 0) NOT NULL,
  kind text NOT NULL CHECK (kind IN ('transfer', 'cancel')),
  state text NOT NULL,
  tx_hash text UNIQUE,
  raw_tx text,
  max_fee_per_gas numeric(78, 0),
  max_priority_fee_per_gas numeric(78, 0),
  gas_limit numeric(20, 0),
  sent_block numeric(20, 0),
  included_block numeric(20, 0),
  included_block_hash text,
  audit_seq bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orch_attempts_nonce ON orch_attempts (chain_id, from_address, nonce);
CREATE INDEX orch_attempts_withdrawal ON orch_attempts (withdrawal_id);

CREATE TABLE orch_attempt_transitions (
  seq bigserial PRIMARY KEY,
  attempt_id text NOT NULL REFERENCES orch_attempts (id),
  from_state text,
  to_state text NOT NULL,
  cause text NOT NULL,
  actor text NOT NULL,
  trace_id text NOT NULL,
  detail jsonb,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orch_attempt_transitions_attempt ON orch_attempt_transitions (attempt_id, seq);

CREATE TABLE orch_nonces (
  chain_id bigint NOT NULL,
  from_address text NOT NULL,
  nonce numeric(20, 0) NOT NULL,
  withdrawal_id text NOT NULL REFERENCES orch_withdrawals (id),
  status text NOT NULL CHECK (status IN ('reserved', 'released')),
  PRIMARY KEY (chain_id, from_address, nonce)
);
CREATE INDEX orch_nonces_withdrawal ON orch_nonces (withdrawal_id);

CREATE FUNCTION orch_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'transition logs are append-only (% on %)', TG_OP, TG_TABLE_NAME USING ERRCODE = 'P0001';
END $$;
CREATE TRIGGER orch_withdrawal_transitions_immutable BEFORE UPDATE OR DELETE ON orch_withdrawal_transitions FOR EACH ROW EXECUTE FUNCTION orch_refuse_change();
CREATE TRIGGER orch_attempt_transitions_immutable BEFORE UPDATE OR DELETE ON orch_attempt_transitions FOR EACH ROW EXECUTE FUNCTION orch_refuse_change();
`;
