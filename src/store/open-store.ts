import { ConfigError, type Config } from "../config.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./types.js";

/** Opens the configured store (migrating it) and returns it ready to serve. */
export async function openStore(config: Config): Promise<Store> {
  if (config.store === "postgres") throw new ConfigError("The PostgreSQL store is not available in this build.");
  return SqliteStore.open(config.dataDir);
}
