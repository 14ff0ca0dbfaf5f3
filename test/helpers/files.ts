// What a test server left on disk: files under a directory, the embedded store's blob files.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Every file under a directory with its size (relative paths). */
export function filesUnder(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (d: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p, rel ? `${rel}/${n}` : n);
      else out.set(rel ? `${rel}/${n}` : n, st.size);
    }
  };
  walk(dir, "");
  return out;
}

/** Total bytes of the staged and attachment files (the store's blobs/ directory). */
export function blobBytes(dataDir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const size of filesUnder(join(dataDir, "blobs")).values()) {
    files++;
    bytes += size;
  }
  return { files, bytes };
}
