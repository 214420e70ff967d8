/** One schema step. Versions are applied in ascending order, each exactly once, and never edited after release. */
export interface SqliteMigration {
  version: number;
  sql: string;
}

/**
 * The SQLite schema history. Append new steps with the next version; never change a released one, because
 * databases in the field have already recorded it as applied.
 */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE links (
        id_hash     BLOB    PRIMARY KEY NOT NULL,
        manage_hash BLOB    NOT NULL,
        kind        TEXT    NOT NULL,
        state       TEXT    NOT NULL CHECK (state IN ('fresh', 'consumed', 'expired', 'revoked')),
        key_version INTEGER NULL,
        wrapped_key BLOB    NULL,
        sealed      BLOB    NULL,
        policy      TEXT    NOT NULL,
        created_at  INTEGER NOT NULL,
        expires_at  INTEGER NOT NULL,
        ended_at    INTEGER NULL,
        -- Crypto-shredding as a schema guarantee: a link that left FRESH can never again hold content or a key.
        CHECK (state = 'fresh' OR (sealed IS NULL AND wrapped_key IS NULL))
      );
      -- The purge scans fresh links by expiry. Partial, so a consume only removes an entry and never inserts one:
      -- every index page a consume touches is another page written to the WAL before the answer.
      CREATE INDEX links_fresh_expires ON links (expires_at) WHERE state = 'fresh';
      -- Metadata retention deletes ended links by age; fresh links (ended_at NULL) stay out of this index.
      CREATE INDEX links_ended ON links (ended_at) WHERE ended_at IS NOT NULL;

      -- Small rows keyed by a hash: WITHOUT ROWID stores them once, in the primary-key b-tree.
      CREATE TABLE used_challenges (
        challenge_hash BLOB    PRIMARY KEY NOT NULL,
        expires_at     INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX used_challenges_expires ON used_challenges (expires_at);
    `,
  },
  {
    version: 2,
    sql: `
      -- What happened to a link (a previewer looked, a scanner fetched): classes and times only. Append-only and
      -- tamper-evident: chain = SHA-256(previous chain || seq || kind || at).
      CREATE TABLE link_events (
        id_hash BLOB    NOT NULL,
        seq     INTEGER NOT NULL,
        kind    TEXT    NOT NULL,
        at      INTEGER NOT NULL,
        chain   BLOB    NOT NULL,
        PRIMARY KEY (id_hash, seq)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    sql: `
      -- Wrong passphrases sent for a link: at the configured limit the link expires and its content is destroyed.
      ALTER TABLE links ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 4,
    sql: `
      -- Files (issue 6): a client-encrypted file stream, stored as chunks sealed under a per-file data key. One row
      -- per file, from the start of its upload until its chunks are gone. No name, no type, no exact size: those are
      -- inside the client's ciphertext; stored_bytes is the length of the client's padded stream (a size bucket).
      CREATE TABLE files (
        file_id      BLOB    PRIMARY KEY NOT NULL,
        upload_hash  BLOB    NULL UNIQUE,       -- SHA-256 of the upload token; NULL once the upload is finished
        link_hash    BLOB    NULL,              -- the link's id hash once finished
        key_version  INTEGER NULL,              -- the data key, wrapped, while uploading (then it moves to the link)
        wrapped_key  BLOB    NULL,
        next_part    INTEGER NOT NULL DEFAULT 0,
        next_seq     INTEGER NOT NULL DEFAULT 0,
        part_lease   INTEGER NULL,              -- a part is being written until then
        stored_bytes INTEGER NOT NULL DEFAULT 0,
        stream_until INTEGER NULL,              -- a download holds the chunks until then
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        CHECK ((upload_hash IS NULL) <> (link_hash IS NULL))
      );
      CREATE INDEX files_link ON files (link_hash) WHERE link_hash IS NOT NULL;
      -- Chunks are large: a rowid table keeps them out of the primary-key b-tree (WITHOUT ROWID suits small rows).
      CREATE TABLE file_chunks (
        file_id BLOB    NOT NULL,
        seq     INTEGER NOT NULL,
        data    BLOB    NOT NULL,
        PRIMARY KEY (file_id, seq)
      );
      -- The storage quota's counter: sealed bytes of all chunks, changed in the transaction that adds or removes them.
      CREATE TABLE file_storage (
        id    INTEGER PRIMARY KEY CHECK (id = 1),
        bytes INTEGER NOT NULL CHECK (bytes >= 0)
      );
      INSERT INTO file_storage (id, bytes) VALUES (1, 0);
      ALTER TABLE links ADD COLUMN file_id BLOB NULL;
    `,
  },
  {
    version: 5,
    sql: `
      -- Passkey handles (recipient-bound links): one row per handle, holding its one enrolled credential and, while
      -- one is pending, the hash of its one-time enrolment token. Version 4 holds files (issue 6);
      -- versions apply by number.
      CREATE TABLE passkey_handles (
        handle             TEXT    PRIMARY KEY NOT NULL,
        manage_hash        BLOB    NOT NULL,
        enrol_hash         BLOB    NULL,
        enrol_expires_at   INTEGER NULL,
        credential_id      BLOB    NULL,
        credential_id_hash BLOB    NULL,
        public_key         BLOB    NULL,
        counter            INTEGER NOT NULL DEFAULT 0,
        discoverable       INTEGER NOT NULL DEFAULT 0,
        transports         TEXT    NOT NULL DEFAULT '',
        created_at         INTEGER NOT NULL,
        enrolled_at        INTEGER NULL,
        CHECK ((credential_id IS NULL) = (public_key IS NULL) AND (credential_id IS NULL) = (credential_id_hash IS NULL)),
        CHECK ((enrol_hash IS NULL) = (enrol_expires_at IS NULL))
      ) WITHOUT ROWID;
      CREATE UNIQUE INDEX passkey_handles_enrol ON passkey_handles (enrol_hash) WHERE enrol_hash IS NOT NULL;
      CREATE UNIQUE INDEX passkey_handles_credential ON passkey_handles (credential_id_hash) WHERE credential_id_hash IS NOT NULL;
      CREATE INDEX passkey_handles_pending ON passkey_handles (enrol_expires_at) WHERE enrol_expires_at IS NOT NULL;
    `,
  },
  {
    version: 6,
    sql: `
      -- Fenced upload parts: every attempt at a part takes the next number, and a chunk, the end or the undo of a part
      -- is written only while its attempt's number is still this one (a stalled or superseded writer is refused).
      ALTER TABLE files ADD COLUMN part_attempt INTEGER NOT NULL DEFAULT 0;
    `,
  },
];
