import { createHash } from "node:crypto";
import type pg from "pg";
import type { EnrolledPasskey, HandleRecord, PasskeyStore } from "./passkey-store.js";
import { blob } from "./store-bytes.js";

const PASSKEY_COLUMNS = "handle, credential_id, public_key, counter, discoverable, transports";

// Named statements, parsed once per pooled connection. Each write is one autocommitted statement.
const SQL = {
  // A new handle goes in; an existing one is taken over only when it has no passkey and no live enrolment link, or
  // when the operator replaces it on purpose ($6). Two racing issues for one new handle meet at the primary key: the
  // loser finds the winner's live link and changes nothing.
  issue: `INSERT INTO passkey_handles AS h (handle, manage_hash, enrol_hash, enrol_expires_at, created_at)
          VALUES ($1, $2, $3, $4, $5)
          ON CONFLICT (handle) DO UPDATE SET manage_hash = excluded.manage_hash, enrol_hash = excluded.enrol_hash,
            enrol_expires_at = excluded.enrol_expires_at
          WHERE $6::boolean OR (h.credential_id IS NULL AND (h.enrol_expires_at IS NULL OR h.enrol_expires_at <= $5))
          RETURNING 1`,
  pending: "SELECT handle, enrol_expires_at FROM passkey_handles WHERE enrol_hash = $1 AND enrol_expires_at > $2",
  // Spends the token in the same statement that stores the credential; a credential enrolled elsewhere is refused.
  complete: `UPDATE passkey_handles SET credential_id = $1, credential_id_hash = $2, public_key = $3, counter = $4,
               discoverable = $5, transports = $6, enrolled_at = $7, enrol_hash = NULL, enrol_expires_at = NULL
             WHERE enrol_hash = $8 AND enrol_expires_at > $7
               AND NOT EXISTS (SELECT 1 FROM passkey_handles WHERE credential_id_hash = $2)
             RETURNING handle`,
  byHandle: `SELECT ${PASSKEY_COLUMNS} FROM passkey_handles WHERE handle = $1 AND credential_id IS NOT NULL`,
  byCredential: `SELECT ${PASSKEY_COLUMNS} FROM passkey_handles WHERE credential_id_hash = $1`,
  counter: "UPDATE passkey_handles SET counter = $1 WHERE credential_id_hash = $2 AND counter < $1",
  record: "SELECT handle, manage_hash, created_at, enrolled_at, enrol_expires_at FROM passkey_handles WHERE handle = $1",
  remove: "DELETE FROM passkey_handles WHERE handle = $1",
  purgeUnused: "DELETE FROM passkey_handles WHERE credential_id IS NULL AND enrol_expires_at <= $1",
  purgeReplacements:
    "UPDATE passkey_handles SET enrol_hash = NULL, enrol_expires_at = NULL WHERE credential_id IS NOT NULL AND enrol_expires_at <= $1",
} as const;

interface PasskeyRow {
  handle: string;
  credential_id: Buffer;
  public_key: Buffer;
  counter: number;
  discoverable: boolean;
  transports: string;
}

const toPasskey = (row: PasskeyRow): EnrolledPasskey => ({
  handle: row.handle,
  credentialId: row.credential_id,
  publicKey: row.public_key,
  counter: row.counter,
  discoverable: row.discoverable,
  transports: row.transports === "" ? [] : row.transports.split(","),
});

/** The PostgreSQL side of PasskeyStore, over the store's pool; `purge` runs inside the store's purge transaction. */
export function postgresPasskeys(pool: pg.Pool): PasskeyStore & { purge(client: pg.PoolClient, now: number): Promise<void> } {
  const query = <R extends pg.QueryResultRow>(name: keyof typeof SQL, values: unknown[], client: pg.Pool | pg.PoolClient = pool) =>
    client.query<R>({ name: `oncelink_passkey_${name}`, text: SQL[name], values });

  return {
    async issueEnrolment(enrolment, now, replace = false) {
      const result = await query("issue", [
        enrolment.handle, blob(enrolment.manageHash), blob(enrolment.enrolHash), enrolment.expiresAt, now, replace,
      ]);
      return result.rowCount === 1 ? "ok" : "taken";
    },

    async pendingEnrolment(enrolHash, now) {
      const row = (await query<{ handle: string; enrol_expires_at: number }>("pending", [blob(enrolHash), now])).rows[0];
      return row ? { handle: row.handle, expiresAt: row.enrol_expires_at } : null;
    },

    async completeEnrolment(enrolHash, passkey, now) {
      const idHash = createHash("sha256").update(passkey.credentialId).digest();
      try {
        const row = (await query<{ handle: string }>("complete", [
          blob(passkey.credentialId), idHash, blob(passkey.publicKey), passkey.counter, passkey.discoverable,
          passkey.transports.join(","), now, blob(enrolHash),
        ])).rows[0];
        return row?.handle ?? null;
      } catch (error) {
        // Two enrolments racing with the same credential: the unique index refuses the second.
        if ((error as { code?: string }).code === "23505") return null;
        throw error;
      }
    },

    async getPasskey(handle) {
      const row = (await query<PasskeyRow>("byHandle", [handle])).rows[0];
      return row ? toPasskey(row) : null;
    },

    async findPasskey(credentialIdHash) {
      const row = (await query<PasskeyRow>("byCredential", [blob(credentialIdHash)])).rows[0];
      return row ? toPasskey(row) : null;
    },

    async updatePasskeyCounter(credentialIdHash, counter) {
      await query("counter", [counter, blob(credentialIdHash)]);
    },

    async getHandle(handle): Promise<HandleRecord | null> {
      const row = (await query<{ handle: string; manage_hash: Buffer; created_at: number; enrolled_at: number | null; enrol_expires_at: number | null }>(
        "record",
        [handle],
      )).rows[0];
      if (!row) return null;
      return { handle: row.handle, manageHash: row.manage_hash, createdAt: row.created_at, enrolledAt: row.enrolled_at, pendingUntil: row.enrol_expires_at };
    },

    async removeHandle(handle) {
      return ((await query("remove", [handle])).rowCount ?? 0) === 1;
    },

    async purge(client, now) {
      await query("purgeUnused", [now], client);
      await query("purgeReplacements", [now], client);
    },
  };
}
