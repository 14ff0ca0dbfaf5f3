// The store contract against the embedded store (SQLite + files).
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store } from "../../src/store/types.js";
import { tempDir } from "../helpers/server.js";
import { storeContract } from "./store-contract.js";

/** Total size of the files under <dataDir>/blobs. */
function blobBytes(dataDir: string): number {
  let total = 0;
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else total += st.size;
    }
  };
  walk(join(dataDir, "blobs"));
  return total;
}

storeContract("sqlite", async () => {
  const dir = tempDir("taskdrop-contract-");
  let store: Store = await SqliteStore.open(dir);
  return {
    get store() {
      return store;
    },
    storedBytes: async () => blobBytes(dir),
    async reopen() {
      await store.close();
      store = await SqliteStore.open(dir);
      return store;
    },
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
