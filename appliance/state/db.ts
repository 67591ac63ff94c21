// Opens the device's state database: better-sqlite3 in WAL mode with synchronous=FULL, so a commit
// is on disk before the call returns (DESIGN.md invariant 2). The running device switches to flushing
// the log itself, off the event loop, before anything that depends on a commit leaves (wal-sync.ts). This folder is the only SQLite user.
// Every table but `audit` (hash-chained and signed on its own) and `seal` is sealed: each row carries
// `mac`, an HMAC by the token's state-seal key over the row (docs/sealed-state.md, state-seal.ts).
import Database from 'better-sqlite3';
import { digestAdd, digestSub } from './seal-digest.js';

export type Db = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v BLOB NOT NULL, mac BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS keys (
  key_id TEXT PRIMARY KEY, cka_id BLOB NOT NULL, label TEXT NOT NULL, grp TEXT NOT NULL,
  address TEXT NOT NULL, public_key BLOB NOT NULL, created_at INTEGER NOT NULL, policy_hash BLOB NOT NULL,
  certificate TEXT NOT NULL, mac BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS policies (
  version INTEGER PRIMARY KEY, hash BLOB NOT NULL, doc BLOB NOT NULL, activated_at INTEGER NOT NULL, mac BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS whitelist (
  grp TEXT NOT NULL, chain_id TEXT NOT NULL, address BLOB NOT NULL, label TEXT NOT NULL,
  active_at INTEGER NOT NULL, proposal_id TEXT NOT NULL, added_at INTEGER NOT NULL,
  mac BLOB NOT NULL,
  PRIMARY KEY (grp, chain_id, address));
CREATE TABLE IF NOT EXISTS whitelist_proposals (
  id TEXT PRIMARY KEY, grp TEXT NOT NULL, chain_id TEXT NOT NULL, address BLOB NOT NULL, label TEXT NOT NULL,
  proposed_by TEXT NOT NULL, created_at INTEGER NOT NULL, status TEXT NOT NULL, quorum_at INTEGER, mac BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS whitelist_approvals (
  proposal_id TEXT NOT NULL, admin_id TEXT NOT NULL, expires_at INTEGER NOT NULL, signature BLOB NOT NULL,
  mac BLOB NOT NULL,
  PRIMARY KEY (proposal_id, admin_id));
CREATE TABLE IF NOT EXISTS requests (
  request_id TEXT PRIMARY KEY, request_hash BLOB NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL,
  requester TEXT NOT NULL, key_id TEXT, intent_digest BLOB, args BLOB NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, response BLOB, mac BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS request_approvals (
  request_id TEXT NOT NULL, approver_id TEXT NOT NULL, expires_at INTEGER NOT NULL, signature BLOB NOT NULL,
  mac BLOB NOT NULL,
  PRIMARY KEY (request_id, approver_id));
CREATE TABLE IF NOT EXISTS spend (
  id INTEGER PRIMARY KEY, key_id TEXT NOT NULL, asset TEXT NOT NULL, at INTEGER NOT NULL,
  amount TEXT NOT NULL, cum_amount TEXT NOT NULL, cum_count INTEGER NOT NULL, request_id TEXT NOT NULL, mac BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS spend_window ON spend (key_id, asset, at, id);
CREATE INDEX IF NOT EXISTS requests_pending ON requests (status, created_at, request_id);
CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, hash BLOB NOT NULL, entry BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS policy_proposals (
  id TEXT PRIMARY KEY, version INTEGER NOT NULL, hash BLOB NOT NULL, doc BLOB NOT NULL, proposed_by TEXT NOT NULL,
  created_at INTEGER NOT NULL, status TEXT NOT NULL, stricter INTEGER NOT NULL, quorum_at INTEGER, activate_after INTEGER, mac BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS policy_proposal_approvals (
  proposal_id TEXT NOT NULL, admin_id TEXT NOT NULL, expires_at INTEGER NOT NULL, signature BLOB NOT NULL,
  mac BLOB NOT NULL,
  PRIMARY KEY (proposal_id, admin_id));
CREATE TABLE IF NOT EXISTS nonce_guard (
  key_id TEXT NOT NULL, chain_id TEXT NOT NULL, nonce TEXT NOT NULL, intent_digest BLOB NOT NULL,
  max_fee_per_gas TEXT NOT NULL, max_priority_fee_per_gas TEXT NOT NULL, cancelled INTEGER NOT NULL,
  request_id TEXT NOT NULL, updated_at INTEGER NOT NULL,
  mac BLOB NOT NULL,
  PRIMARY KEY (key_id, chain_id, nonce));
CREATE TABLE IF NOT EXISTS firmware_approvals (
  measurement BLOB NOT NULL, admin_id TEXT NOT NULL, expires_at INTEGER NOT NULL, signature BLOB NOT NULL,
  mac BLOB NOT NULL,
  PRIMARY KEY (measurement, admin_id));
CREATE TABLE IF NOT EXISTS allowances (
  key_id TEXT NOT NULL, asset TEXT NOT NULL, spender BLOB NOT NULL, amount TEXT NOT NULL, nonce TEXT,
  request_id TEXT NOT NULL, updated_at INTEGER NOT NULL,
  mac BLOB NOT NULL,
  PRIMARY KEY (key_id, asset, spender));
CREATE TABLE IF NOT EXISTS passkey_counters (
  credential_id BLOB PRIMARY KEY, approver_id TEXT NOT NULL, counter INTEGER NOT NULL, request_id TEXT NOT NULL,
  updated_at INTEGER NOT NULL, mac BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS hd_wallets (
  wallet_id TEXT PRIMARY KEY, seed_cka_id BLOB NOT NULL, label TEXT NOT NULL, created_at INTEGER NOT NULL,
  policy_hash BLOB NOT NULL, mac BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS hd_keys (key_id TEXT PRIMARY KEY, wallet_id TEXT NOT NULL, path TEXT NOT NULL, mac BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS seal (
  id INTEGER PRIMARY KEY CHECK (id = 1), gen INTEGER NOT NULL, digest BLOB NOT NULL, head_seq INTEGER NOT NULL,
  head_hash BLOB NOT NULL, time INTEGER NOT NULL, mac BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tamper_pending (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, findings TEXT NOT NULL);
`;

/**
 * The sealed tables and their columns in MAC order (the order of the CREATE TABLE above, `mac`
 * excluded). A row's MAC covers [table, ...these values]. `tamper_pending` is deliberately not sealed:
 * it holds findings noticed while the token could not seal anything (docs/sealed-state.md).
 */
export const SEALED_TABLES = {
  meta: ['k', 'v'],
  keys: ['key_id', 'cka_id', 'label', 'grp', 'address', 'public_key', 'created_at', 'policy_hash', 'certificate'],
  policies: ['version', 'hash', 'doc', 'activated_at'],
  whitelist: ['grp', 'chain_id', 'address', 'label', 'active_at', 'proposal_id', 'added_at'],
  whitelist_proposals: ['id', 'grp', 'chain_id', 'address', 'label', 'proposed_by', 'created_at', 'status', 'quorum_at'],
  whitelist_approvals: ['proposal_id', 'admin_id', 'expires_at', 'signature'],
  requests: ['request_id', 'request_hash', 'kind', 'status', 'requester', 'key_id', 'intent_digest', 'args', 'created_at', 'updated_at', 'response'],
  request_approvals: ['request_id', 'approver_id', 'expires_at', 'signature'],
  spend: ['id', 'key_id', 'asset', 'at', 'amount', 'cum_amount', 'cum_count', 'request_id'],
  policy_proposals: ['id', 'version', 'hash', 'doc', 'proposed_by', 'created_at', 'status', 'stricter', 'quorum_at', 'activate_after'],
  policy_proposal_approvals: ['proposal_id', 'admin_id', 'expires_at', 'signature'],
  nonce_guard: ['key_id', 'chain_id', 'nonce', 'intent_digest', 'max_fee_per_gas', 'max_priority_fee_per_gas', 'cancelled', 'request_id', 'updated_at'],
  firmware_approvals: ['measurement', 'admin_id', 'expires_at', 'signature'],
  allowances: ['key_id', 'asset', 'spender', 'amount', 'nonce', 'request_id', 'updated_at'],
  passkey_counters: ['credential_id', 'approver_id', 'counter', 'request_id', 'updated_at'],
  hd_wallets: ['wallet_id', 'seed_cka_id', 'label', 'created_at', 'policy_hash'],
  hd_keys: ['key_id', 'wallet_id', 'path'],
} as const;

export type SealedTable = keyof typeof SEALED_TABLES;

export function openDb(path: string): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  // The running state digest moves inside SQL, so a rolled-back savepoint rolls it back too.
  db.function('seal_add', { deterministic: true }, (a: unknown, b: unknown) => Buffer.from(digestAdd(a as Buffer, b as Buffer)));
  db.function('seal_sub', { deterministic: true }, (a: unknown, b: unknown) => Buffer.from(digestSub(a as Buffer, b as Buffer)));
  return db;
}
