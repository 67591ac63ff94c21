// Orchestrator migration 2: cancel requests for withdrawals already on their way to the chain. Such a
// cancel is a transaction of its own (0 to self at the same nonce), made by the worker; the request
// records who asked, when and why, once per withdrawal, and is never changed afterwards.

export const ORCH_MIGRATION_002 = `
CREATE TABLE orch_cancel_requests (
  withdrawal_id text PRIMARY KEY REFERENCES orch_withdrawals (id),
  actor text NOT NULL,
  note text,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER orch_cancel_requests_immutable BEFORE UPDATE OR DELETE ON orch_cancel_requests FOR EACH ROW EXECUTE FUNCTION orch_refuse_change();
`;
