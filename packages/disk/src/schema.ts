/**
 * Version of the schema below, kept in `PRAGMA user_version`: an opener that finds it set skips set-up,
 * so processes opening an existing cache never queue for the write lock just to start.
 * 0 is a file made before the running total existed (or a fresh one).
 */
export const SCHEMA_VERSION = 1;

/**
 * Every statement is idempotent, so any number of processes may run it, one after the other.
 *
 * `totals` holds the bytes of all entries, kept right by triggers in the very transaction that changes
 * `entries`, whichever process or statement makes the change: the size bound is then a one-row read
 * instead of a sum over the table. The insert trigger runs BEFORE so that it can still see the row an
 * `INSERT OR REPLACE` is about to replace (REPLACE does not fire delete triggers). A file from before the
 * total existed gets it computed once, here.
 */
export const SCHEMA = `
  CREATE TABLE IF NOT EXISTS entries (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    expires_at INTEGER,
    created_at INTEGER NOT NULL,
    size INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS entries_created_at ON entries (created_at);
  CREATE INDEX IF NOT EXISTS entries_expires_at ON entries (expires_at) WHERE expires_at IS NOT NULL;

  CREATE TABLE IF NOT EXISTS totals (id INTEGER PRIMARY KEY CHECK (id = 1), bytes INTEGER NOT NULL);
  INSERT OR IGNORE INTO totals (id, bytes) SELECT 1, COALESCE(SUM(size), 0) FROM entries;

  CREATE TRIGGER IF NOT EXISTS entries_total_insert BEFORE INSERT ON entries BEGIN
    UPDATE totals SET bytes = bytes + NEW.size - COALESCE((SELECT size FROM entries WHERE key = NEW.key), 0) WHERE id = 1;
  END;
  CREATE TRIGGER IF NOT EXISTS entries_total_update AFTER UPDATE OF size ON entries BEGIN
    UPDATE totals SET bytes = bytes - OLD.size + NEW.size WHERE id = 1;
  END;
  CREATE TRIGGER IF NOT EXISTS entries_total_delete AFTER DELETE ON entries BEGIN
    UPDATE totals SET bytes = bytes - OLD.size WHERE id = 1;
  END;

  PRAGMA user_version = ${SCHEMA_VERSION};
`;
