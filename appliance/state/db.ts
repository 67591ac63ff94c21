// Opens the device's state database: better-sqlite3 in WAL mode with synchronous=FULL, so a commit
// is on disk before the call returns (DESIGN.md invariant 2). This folder is the only SQLite user.
import Database from 'better-sqlite3';

export type Db = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS keys (
  key_id TEXT PRIMARY KEY, cka_id BLOB NOT NULL, label TEXT NOT NULL, grp TEXT NOT NULL,
  address TEXT NOT NULL, public_key BLOB NOT NULL, created_at INTEGER NOT NULL, policy_hash BLOB NOT NULL,
  certificate TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS policies (
  version INTEGER PRIMARY KEY, hash BLOB NOT NULL, doc BLOB NOT NULL, activated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS whitelist (
  grp TEXT NOT NULL, chain_id TEXT NOT NULL, address BLOB NOT NULL, label TEXT NOT NULL,
  active_at INTEGER NOT NULL, proposal_id TEXT NOT NULL, added_at INTEGER NOT NULL,
  PRIMARY KEY (grp, chain_id, address));
CREATE TABLE IF NOT EXISTS whitelist_proposals (
  id TEXT PRIMARY KEY, grp TEXT NOT NULL, chain_id TEXT NOT NULL, address BLOB NOT NULL, label TEXT NOT NULL,
  proposed_by TEXT NOT NULL, created_at INTEGER NOT NULL, status TEXT NOT NULL, quorum_at INTEGER);
CREATE TABLE IF NOT EXISTS whitelist_approvals (
  proposal_id TEXT NOT NULL, admin_id TEXT NOT NULL, expires_at INTEGER NOT NULL, signature BLOB NOT NULL,
  PRIMARY KEY (proposal_id, admin_id));
CREATE TABLE IF NOT EXISTS requests (
  request_id TEXT PRIMARY KEY, request_hash BLOB NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
  requester TEXT NOT NULL, key_id TEXT, intent_digest BLOB, args BLOB NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, response BLOB);
CREATE TABLE IF NOT EXISTS request_approvals (
  request_id TEXT NOT NULL, approver_id TEXT NOT NULL, expires_at INTEGER NOT NULL, signature BLOB NOT NULL,
  PRIMARY KEY (request_id, approver_id));
CREATE TABLE IF NOT EXISTS spend (
  id INTEGER PRIMARY KEY, key_id TEXT NOT NULL, asset TEXT NOT NULL, at INTEGER NOT NULL,
  amount TEXT NOT NULL, cum_amount TEXT NOT NULL, cum_count INTEGER NOT NULL, request_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS spend_window ON spend (key_id, asset, at, id);
CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, hash BLOB NOT NULL, entry BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS policy_proposals (
  id TEXT PRIMARY KEY, version INTEGER NOT NULL, hash BLOB NOT NULL, doc BLOB NOT NULL, proposed_by TEXT NOT NULL,
  created_at INTEGER NOT NULL, status TEXT NOT NULL, stricter INTEGER NOT NULL, quorum_at INTEGER, activate_after INTEGER);
CREATE TABLE IF NOT EXISTS policy_proposal_approvals (
  proposal_id TEXT NOT NULL, admin_id TEXT NOT NULL, expires_at INTEGER NOT NULL, signature BLOB NOT NULL,
  PRIMARY KEY (proposal_id, admin_id));
CREATE TABLE IF NOT EXISTS nonce_guard (
  key_id TEXT NOT NULL, chain_id TEXT NOT NULL, nonce TEXT NOT NULL, intent_digest BLOB NOT NULL,
  max_fee_per_gas TEXT NOT NULL, max_priority_fee_per_gas TEXT NOT NULL, cancelled INTEGER NOT NULL,
  request_id TEXT NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (key_id, chain_id, nonce));
CREATE TABLE IF NOT EXISTS firmware_approvals (
  measurement BLOB NOT NULL, admin_id TEXT NOT NULL, expires_at INTEGER NOT NULL, signature BLOB NOT NULL,
  PRIMARY KEY (measurement, admin_id));
`;

export function openDb(path: string): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  return db;
}
