// Whether this instance can serve requests, for /_taskdrop/health.
import type { StoreKind } from "../store/types.js";
import type { Deps } from "./deps.js";

/** Throws when the store cannot serve requests; else names the store. */
export async function checkHealth(d: Deps): Promise<{ store: StoreKind }> {
  await d.store.ping();
  return { store: d.store.kind };
}
