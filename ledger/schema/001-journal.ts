// Migration 1: accounts, the append-only journal (entries and their lines), and the balances derived
// from it. The database itself refuses what the code must never write: an update or delete of a
// journal row (triggers), an entry whose lines do not sum to zero per asset (a constraint trigger
// checked at commit), a reversal of an entry reversed already (unique), and a negative balance where
// the account kind forbids one (check).

export const MIGRATION_001_JOURNAL = `
CREATE TABLE ledger_accounts (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('customer', 'custody', 'fees', 'suspense')),
  owner text NOT NULL,
  asset text NOT NULL,
  UNIQUE (kind, owner, asset)
);

CREATE TABLE ledger_entries (
  id bigserial PRIMARY KEY,
  kind text NOT NULL,
  idempotency_key text NOT NULL UNIQUE,
  fingerprint text NOT NULL,
  trace_id text NOT NULL,
  bridge_request_id text,
  audit_seq bigint,
  reverses bigint UNIQUE REFERENCES ledger_entries (id),
  posted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_entries_trace ON ledger_entries (trace_id);

CREATE TABLE ledger_lines (
  entry_id bigint NOT NULL REFERENCES ledger_entries (id),
  line_no integer NOT NULL,
  account_id text NOT NULL REFERENCES ledger_accounts (id),
  state text NOT NULL CHECK (state IN ('available', 'reserved', 'pending', 'settled')),
  amount numeric(78, 0) NOT NULL CHECK (amount <> 0),
  PRIMARY KEY (entry_id, line_no)
);
CREATE INDEX ledger_lines_account ON ledger_lines (account_id);

CREATE TABLE ledger_balances (
  account_id text NOT NULL REFERENCES ledger_accounts (id),
  state text NOT NULL CHECK (state IN ('available', 'reserved', 'pending', 'settled')),
  amount numeric(78, 0) NOT NULL,
  floor_zero boolean NOT NULL,
  PRIMARY KEY (account_id, state),
  CHECK (NOT floor_zero OR amount >= 0)
);

CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the journal is append-only (% on %)', TG_OP, TG_TABLE_NAME USING ERRCODE = 'P0001';
END $$;
CREATE TRIGGER ledger_entries_immutable BEFORE UPDATE OR DELETE ON ledger_entries FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_lines_immutable BEFORE UPDATE OR DELETE ON ledger_lines FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER ledger_lines_no_truncate BEFORE TRUNCATE ON ledger_lines FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

CREATE FUNCTION ledger_check_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  bad text;
BEGIN
  SELECT a.asset INTO bad FROM ledger_lines l JOIN ledger_accounts a ON a.id = l.account_id
    WHERE l.entry_id = NEW.entry_id GROUP BY a.asset HAVING sum(l.amount) <> 0 LIMIT 1;
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'entry % does not balance in %', NEW.entry_id, bad USING ERRCODE = 'P0001';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_lines_balanced AFTER INSERT ON ledger_lines DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced();
`;
