import { ConfigError, type Config } from "../config.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import type { Store } from "./types.js";

/** Opens the configured store (migrating it) and returns it ready to serve. */
export async function openStore(config: Config): Promise<Store> {
  if (config.store === "postgres") {
    if (!config.databaseUrl) throw new ConfigError("--store postgres needs --database-url (or TASKDROP_DATABASE_URL)");
    // Loaded only here: the embedded store's process never loads pg (start-up time and memory).
    const { PgStore } = await import("./postgres/pg-store.js");
    return PgStore.open(config.databaseUrl, { poolSize: config.databasePoolSize });
  }
  return SqliteStore.open(config.dataDir);
}
