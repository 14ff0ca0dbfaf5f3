// Large query pages on the embedded store without stalling other users. SQLite runs in the event
// loop, and a page of 999 tasks of a few KB takes tens of milliseconds to read; read in one go it
// holds every other request back that long (bench `queries`). So a large page is read in slices
// of SLICE rows, with a turn of the event loop between slices, inside one read transaction on a
// connection of its own (WAL: it sees one snapshot while the main connection goes on writing).
// Connections are pooled (at most MAX_READERS; more large queries wait their turn).
import Database from "better-sqlite3";
import type { Row } from "../rows.js";

export const SLICE = 100;
const MAX_READERS = 4;

export class QueryReaders {
  private readonly idle: Database.Database[] = [];
  private open = 0;
  private readonly waiting: Array<(db: Database.Database) => void> = [];
  private closed = false;

  constructor(private readonly file: string) {}

  private async acquire(): Promise<Database.Database> {
    const db = this.idle.pop();
    if (db) return db;
    if (this.open < MAX_READERS) {
      this.open++;
      const c = new Database(this.file);
      c.pragma("query_only = ON");
      c.pragma("busy_timeout = 5000");
      return c;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(db: Database.Database): void {
    const next = this.waiting.shift();
    if (next) return next(db);
    if (this.closed) {
      db.close();
      return;
    }
    this.idle.push(db);
  }

  /**
   * Runs the count (if any) and the page (its last two parameters are LIMIT and OFFSET) in one
   * snapshot, reading `limit` rows SLICE at a time and turning each slice into records (`from`)
   * before the next turn of the event loop: converted all at once, 999 rows cost several
   * milliseconds more in one go.
   */
  async read<T>(page: { sql: string; params: unknown[] } | null, count: { sql: string; params: unknown[] } | null, from: (r: Row) => T): Promise<{ rows: T[]; n: number | undefined }> {
    const db = await this.acquire();
    try {
      db.exec("BEGIN");
      try {
        const n = count ? Number((db.prepare(count.sql).get(...count.params) as { n: number }).n) : undefined;
        const rows: T[] = [];
        if (page) {
          const st = db.prepare(page.sql);
          const fixed = page.params.slice(0, -2);
          const [limit, offset] = page.params.slice(-2) as [number, number];
          for (let done = 0; done < limit; ) {
            const want = Math.min(SLICE, limit - done);
            const got = st.all(...fixed, want, offset + done) as Row[];
            for (const r of got) rows.push(from(r));
            done += got.length;
            if (got.length < want) break;
            await new Promise<void>((resolve) => setImmediate(resolve));
          }
        }
        return { rows, n };
      } finally {
        db.exec("COMMIT");
      }
    } finally {
      this.release(db);
    }
  }

  close(): void {
    this.closed = true;
    for (const db of this.idle.splice(0)) db.close();
  }
}
