import { effectiveState, type LinkMeta } from "../core/link.js";
import type { LinkStore } from "../store/link-store.js";

/**
 * A link's metadata as it stands at `now`, for an answer that depends on its state; null for an unknown link. A link
 * still stored fresh past its expiry is expired in the store first (its content destroyed, as the purge job would do
 * a little later), so that what is said about it from here on ("expired", "no longer available") holds even if the
 * clock steps back before that run. The re-read tells who won when a consume came first.
 */
export async function linkMetaAt(store: Pick<LinkStore, "getLinkMeta" | "expire">, idHash: Uint8Array, now: number): Promise<LinkMeta | null> {
  const meta = await store.getLinkMeta(idHash);
  if (meta === null || meta.state !== "fresh" || effectiveState(meta, now) === "fresh") return meta;
  await store.expire(idHash, now);
  return store.getLinkMeta(idHash);
}
