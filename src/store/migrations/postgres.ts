/** One schema step. Versions are applied in ascending order, each exactly once, and never edited after release. */
export interface PostgresMigration {
  version: number;
  sql: string;
}

/**
 * The PostgreSQL schema history, parallel to the SQLite one (same tables, same guarantees). Append new steps with the
 * next version; never change a released one, because databases in the field have already recorded it as applied.
 * Times are milliseconds since the epoch (bigint), as the store's callers pass them.
 */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE links (
        id_hash     bytea   PRIMARY KEY,
        manage_hash bytea   NOT NULL,
        kind        text    NOT NULL,
        state       text    NOT NULL CHECK (state IN ('fresh', 'consumed', 'expired', 'revoked')),
        key_version integer NULL,
        wrapped_key bytea   NULL,
        sealed      bytea   NULL,
        policy      text    NOT NULL,
        created_at  bigint  NOT NULL,
        expires_at  bigint  NOT NULL,
        ended_at    bigint  NULL,
        -- Crypto-shredding as a schema guarantee: a link that left FRESH can never again hold content or a key.
        CONSTRAINT links_ended_hold_nothing CHECK (state = 'fresh' OR (sealed IS NULL AND wrapped_key IS NULL)),
        -- And the converse: a fresh link always holds what a consume must release.
        CONSTRAINT links_fresh_hold_content
          CHECK (state <> 'fresh' OR (sealed IS NOT NULL AND wrapped_key IS NOT NULL AND key_version IS NOT NULL))
      );
      -- Sealed content is random bytes: compressing it is wasted work, so store it out of line uncompressed.
      ALTER TABLE links ALTER COLUMN sealed SET STORAGE EXTERNAL;
      -- Consumed rows leave dead versions holding the old ciphertext until VACUUM: have autovacuum come early.
      ALTER TABLE links SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 200);
      CREATE INDEX links_fresh_expires ON links (expires_at) WHERE state = 'fresh';
      CREATE INDEX links_ended ON links (ended_at) WHERE ended_at IS NOT NULL;

      CREATE TABLE used_challenges (
        challenge_hash bytea  PRIMARY KEY,
        expires_at     bigint NOT NULL
      );
      CREATE INDEX used_challenges_expires ON used_challenges (expires_at);
    `,
  },
  {
    version: 2,
    sql: `
      -- What happened to a link (a previewer looked, a scanner fetched): classes and times only. Append-only and
      -- tamper-evident: chain = SHA-256(previous chain || seq || kind || at).
      CREATE TABLE link_events (
        id_hash bytea   NOT NULL,
        seq     integer NOT NULL,
        kind    text    NOT NULL,
        at      bigint  NOT NULL,
        chain   bytea   NOT NULL,
        PRIMARY KEY (id_hash, seq)
      );
    `,
  },
  {
    version: 3,
    sql: `
      -- One-way fingerprints (HMAC of a constant under the key) of the keys every node must share, recorded by the
      -- first node that starts with them: a node configured with other keys refuses to start instead of failing
      -- later on every link another node created.
      CREATE TABLE keyring_fingerprints (
        kind        text    NOT NULL CHECK (kind IN ('master', 'signing')),
        version     integer NOT NULL,
        fingerprint bytea   NOT NULL,
        PRIMARY KEY (kind, version)
      );
    `,
  },
  {
    version: 4,
    sql: `
      -- Rate-limit counters shared by every node: one fixed window per key (route plus a keyed, daily-rotating hash
      -- of the client address, never the address itself), counted by one upsert; ended windows are purged.
      CREATE TABLE rate_limits (
        key        text    PRIMARY KEY,
        count      integer NOT NULL,
        expires_at bigint  NOT NULL
      );
      CREATE INDEX rate_limits_expires ON rate_limits (expires_at);
    `,
  },
  {
    version: 5,
    sql: `
      -- Wrong passphrases sent for a link: at the configured limit the link expires and its content is destroyed.
      ALTER TABLE links ADD COLUMN failed_attempts integer NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 6,
    sql: `
      -- Files (issue 6), as in the SQLite schema (version 4 there): one row per file from the start of its upload until
      -- its chunks are gone; chunks sealed under a per-file data key; a counter for the storage quota. No name, type
      -- or exact size: stored_bytes is the length of the client's padded stream (a size bucket).
      CREATE TABLE files (
        file_id      bytea   PRIMARY KEY,
        upload_hash  bytea   NULL UNIQUE,
        link_hash    bytea   NULL,
        key_version  integer NULL,
        wrapped_key  bytea   NULL,
        next_part    integer NOT NULL DEFAULT 0,
        next_seq     integer NOT NULL DEFAULT 0,
        part_lease   bigint  NULL,
        stored_bytes bigint  NOT NULL DEFAULT 0,
        stream_until bigint  NULL,
        created_at   bigint  NOT NULL,
        expires_at   bigint  NOT NULL,
        CONSTRAINT files_upload_or_link CHECK ((upload_hash IS NULL) <> (link_hash IS NULL))
      );
      CREATE INDEX files_link ON files (link_hash) WHERE link_hash IS NOT NULL;
      CREATE TABLE file_chunks (
        file_id bytea   NOT NULL,
        seq     integer NOT NULL,
        data    bytea   NOT NULL,
        PRIMARY KEY (file_id, seq)
      );
      -- Sealed chunks are random bytes: stored out of line and uncompressed (length() then reads no data).
      ALTER TABLE file_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
      ALTER TABLE file_chunks SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 200);
      CREATE TABLE file_storage (
        id    integer PRIMARY KEY CHECK (id = 1),
        bytes bigint  NOT NULL CHECK (bytes >= 0)
      );
      INSERT INTO file_storage (id, bytes) VALUES (1, 0);
      ALTER TABLE links ADD COLUMN file_id bytea NULL;
    `,
  },
  {
    version: 7,
    sql: `
      -- Passkey handles (recipient-bound links): one row per handle, holding its one enrolled credential and, while
      -- one is pending, the hash of its one-time enrolment token. Version 6 holds files (issue 6);
      -- versions apply by number.
      CREATE TABLE passkey_handles (
        handle             text    PRIMARY KEY,
        manage_hash        bytea   NOT NULL,
        enrol_hash         bytea   NULL,
        enrol_expires_at   bigint  NULL,
        credential_id      bytea   NULL,
        credential_id_hash bytea   NULL,
        public_key         bytea   NULL,
        counter            bigint  NOT NULL DEFAULT 0,
        discoverable       boolean NOT NULL DEFAULT false,
        transports         text    NOT NULL DEFAULT '',
        created_at         bigint  NOT NULL,
        enrolled_at        bigint  NULL,
        CONSTRAINT passkey_handles_credential_whole
          CHECK ((credential_id IS NULL) = (public_key IS NULL) AND (credential_id IS NULL) = (credential_id_hash IS NULL)),
        CONSTRAINT passkey_handles_enrolment_whole CHECK ((enrol_hash IS NULL) = (enrol_expires_at IS NULL))
      );
      CREATE UNIQUE INDEX passkey_handles_enrol ON passkey_handles (enrol_hash) WHERE enrol_hash IS NOT NULL;
      CREATE UNIQUE INDEX passkey_handles_credential ON passkey_handles (credential_id_hash) WHERE credential_id_hash IS NOT NULL;
      CREATE INDEX passkey_handles_pending ON passkey_handles (enrol_expires_at) WHERE enrol_expires_at IS NOT NULL;
    `,
  },
  {
    version: 8,
    sql: `
      -- Fenced upload parts, as in the SQLite schema (version 6 there): every attempt at a part takes the next number,
      -- and a chunk, the end or the undo of a part is written only while its attempt's number is still this one.
      ALTER TABLE files ADD COLUMN part_attempt integer NOT NULL DEFAULT 0;
    `,
  },
];
