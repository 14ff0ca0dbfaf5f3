// Expired sessions and orphaned bytes are swept on a timer, with a grace period past expiry so
// that a write still streaming when its session expires is never collected from under it.
// The same sweep forgets deletions older than delta's retention.
import { pruneChanges } from "./delta.js";
import type { Deps } from "./deps.js";

export function startJanitor(d: Deps): { stop(): void; sweepNow(): Promise<number> } {
  let running: Promise<number> | undefined;
  let stopped = false;
  const sweepNow = async (): Promise<number> => {
    if (running) return running;
    running = (async () => {
      const cutoff = new Date(d.now().getTime() - d.config.janitorGraceSeconds * 1000);
      const n = await d.store.sessions.sweepExpired(cutoff);
      if (n > 0) d.log.info({ event: "janitor_swept", sessions: n }, "expired sessions swept");
      const pruned = await pruneChanges(d);
      if (pruned > 0) d.log.info({ event: "janitor_pruned", tombstones: pruned }, "old deletions forgotten by delta");
      return n;
    })().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => {
    sweepNow().catch((e) => {
      // A sweep cut short by shutdown (the store closing under it) is not a failure worth an error.
      if (!stopped) d.log.error({ event: "janitor_failed", err: e }, "janitor sweep failed");
    });
  }, d.config.janitorIntervalSeconds * 1000);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
    sweepNow,
  };
}
