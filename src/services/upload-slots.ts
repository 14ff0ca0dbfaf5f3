// How many range PUTs each user has in flight on this instance. A user past the cap is answered
// 429 at once rather than queued: a queued PUT would still hold its connection and its body.
import { errors } from "../domain/errors.js";
import type { Deps } from "./deps.js";

export interface UploadSlot {
  release(): void;
}

/** Per server (keyed by its Deps): owner oid → PUTs in flight. Entries at 0 are removed. */
const inFlight = new WeakMap<Deps, Map<string, number>>();

/** Takes one of `owner`'s `maxUploadsPerUser` slots, or throws 429 with Retry-After. */
export function takeUploadSlot(d: Deps, owner: string): UploadSlot {
  let counts = inFlight.get(d);
  if (!counts) inFlight.set(d, (counts = new Map()));
  const cap = d.config.maxUploadsPerUser;
  const n = counts.get(owner) ?? 0;
  if (n >= cap) {
    throw errors.tooManyUploads(cap);
  }
  counts.set(owner, n + 1);
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      const left = (counts.get(owner) ?? 1) - 1;
      if (left <= 0) counts.delete(owner);
      else counts.set(owner, left);
    },
  };
}
