import { createHash } from "node:crypto";
import type Database from "better-sqlite3";
import type { GroupCommitter } from "./group-commit.js";
import type { EnrolledPasskey, EnrolmentIssue, HandleRecord, NewEnrolment, PasskeyStore } from "./passkey-store.js";
import { blob } from "./store-bytes.js";

interface PasskeyRow {
  handle: string;
  credential_id: Buffer;
  public_key: Buffer;
  counter: number;
  discoverable: number;
  transports: string;
}

const toPasskey = (row: PasskeyRow): EnrolledPasskey => ({
  handle: row.handle,
  credentialId: row.credential_id,
  publicKey: row.public_key,
  counter: row.counter,
  discoverable: row.discoverable === 1,
  transports: row.transports === "" ? [] : row.transports.split(","),
});

const PASSKEY_COLUMNS = "handle, credential_id, public_key, counter, discoverable, transports";

/**
 * The SQLite side of PasskeyStore, over the store's connection and its group-commit writer (every write is durable
 * when its promise resolves, like the link writes).
 */
export function sqlitePasskeys(db: Database.Database, writer: GroupCommitter): PasskeyStore & { purge(now: number): void } {
  const sql = {
    // A new handle goes in; an existing one is taken over only when it has no passkey and no live enrolment link,
    // or when the operator replaces it on purpose ($replace = 1).
    issue: db.prepare(
      `INSERT INTO passkey_handles (handle, manage_hash, enrol_hash, enrol_expires_at, created_at)
       VALUES (@handle, @manage, @enrol, @expires, @now)
       ON CONFLICT (handle) DO UPDATE SET manage_hash = excluded.manage_hash, enrol_hash = excluded.enrol_hash,
         enrol_expires_at = excluded.enrol_expires_at
       WHERE @replace = 1
          OR (passkey_handles.credential_id IS NULL
              AND (passkey_handles.enrol_expires_at IS NULL OR passkey_handles.enrol_expires_at <= @now))`,
    ),
    pending: db.prepare("SELECT handle, enrol_expires_at FROM passkey_handles WHERE enrol_hash = ? AND enrol_expires_at > ?"),
    credentialExists: db.prepare("SELECT 1 FROM passkey_handles WHERE credential_id_hash = ?"),
    complete: db.prepare(
      `UPDATE passkey_handles SET credential_id = @id, credential_id_hash = @idHash, public_key = @key, counter = @counter,
         discoverable = @discoverable, transports = @transports, enrolled_at = @now, enrol_hash = NULL, enrol_expires_at = NULL
       WHERE enrol_hash = @enrol AND enrol_expires_at > @now`,
    ),
    byHandle: db.prepare(`SELECT ${PASSKEY_COLUMNS} FROM passkey_handles WHERE handle = ? AND credential_id IS NOT NULL`),
    byCredential: db.prepare(`SELECT ${PASSKEY_COLUMNS} FROM passkey_handles WHERE credential_id_hash = ?`),
    counter: db.prepare("UPDATE passkey_handles SET counter = ? WHERE credential_id_hash = ? AND counter < ?"),
    record: db.prepare(
      "SELECT handle, manage_hash, created_at, enrolled_at, enrol_expires_at FROM passkey_handles WHERE handle = ?",
    ),
    remove: db.prepare("DELETE FROM passkey_handles WHERE handle = ?"),
    // A handle whose enrolment link expired unused is free again; an expired replacement link is simply dropped.
    purgeUnused: db.prepare("DELETE FROM passkey_handles WHERE credential_id IS NULL AND enrol_expires_at <= ?"),
    purgeReplacements: db.prepare(
      "UPDATE passkey_handles SET enrol_hash = NULL, enrol_expires_at = NULL WHERE credential_id IS NOT NULL AND enrol_expires_at <= ?",
    ),
  };

  return {
    issueEnrolment(enrolment: NewEnrolment, now: number, replace = false): Promise<EnrolmentIssue> {
      return writer.enqueueSingleWrite((): EnrolmentIssue => {
        const changes = sql.issue.run({
          handle: enrolment.handle,
          manage: blob(enrolment.manageHash),
          enrol: blob(enrolment.enrolHash),
          expires: enrolment.expiresAt,
          now,
          replace: replace ? 1 : 0,
        }).changes;
        return changes === 1 ? "ok" : "taken";
      });
    },

    async pendingEnrolment(enrolHash, now) {
      const row = sql.pending.get(blob(enrolHash), now) as { handle: string; enrol_expires_at: number } | undefined;
      return row ? { handle: row.handle, expiresAt: row.enrol_expires_at } : null;
    },

    completeEnrolment(enrolHash, passkey, now) {
      return writer.enqueueSingleWrite((): string | null => {
        const enrol = blob(enrolHash);
        const pending = sql.pending.get(enrol, now) as { handle: string } | undefined;
        if (!pending) return null;
        const idHash = sha256Blob(passkey.credentialId);
        if (sql.credentialExists.get(idHash)) return null;
        const changes = sql.complete.run({
          id: blob(passkey.credentialId),
          idHash,
          key: blob(passkey.publicKey),
          counter: passkey.counter,
          discoverable: passkey.discoverable ? 1 : 0,
          transports: passkey.transports.join(","),
          now,
          enrol,
        }).changes;
        return changes === 1 ? pending.handle : null;
      });
    },

    async getPasskey(handle) {
      const row = sql.byHandle.get(handle) as PasskeyRow | undefined;
      return row ? toPasskey(row) : null;
    },

    async findPasskey(credentialIdHash) {
      const row = sql.byCredential.get(blob(credentialIdHash)) as PasskeyRow | undefined;
      return row ? toPasskey(row) : null;
    },

    async updatePasskeyCounter(credentialIdHash, counter) {
      await writer.enqueueSingleWrite(() => {
        sql.counter.run(counter, blob(credentialIdHash), counter);
      });
    },

    async getHandle(handle): Promise<HandleRecord | null> {
      const row = sql.record.get(handle) as
        | { handle: string; manage_hash: Buffer; created_at: number; enrolled_at: number | null; enrol_expires_at: number | null }
        | undefined;
      if (!row) return null;
      return { handle: row.handle, manageHash: row.manage_hash, createdAt: row.created_at, enrolledAt: row.enrolled_at, pendingUntil: row.enrol_expires_at };
    },

    removeHandle(handle) {
      return writer.enqueueSingleWrite(() => sql.remove.run(handle).changes === 1);
    },

    /** Runs inside the purge's write transaction. */
    purge(now: number): void {
      sql.purgeUnused.run(now);
      sql.purgeReplacements.run(now);
    },
  };
}

function sha256Blob(bytes: Uint8Array): Buffer {
  return createHash("sha256").update(bytes).digest();
}
