// One stream's page from its two sources, shared by both stores: live rows (numbered by their last
// change) and tombstones, each read oldest first with the same limit, merged in number order.
import type { Change } from "../../domain/delta.js";
import { num, type Row } from "../rows.js";

export function mergeChanges<T>(live: Row[], gone: Row[], from: (r: Row) => T, limit: number): Array<Change<T>> {
  const out: Array<Change<T>> = [
    ...live.map((r) => ({ seq: num(r.change_seq), item: from(r) })),
    ...gone.map((r) => ({ seq: num(r.seq), removed: r.item_id as string })),
  ];
  return out.sort((a, b) => a.seq - b.seq).slice(0, limit);
}
