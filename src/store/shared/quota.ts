// The refusal both stores give when a new upload session would pass its owner's staged-bytes bound.
import { errors } from "../../domain/errors.js";
import { describeBytes } from "../../domain/limits.js";

export function stagedQuota(max: number, staged: number) {
  return errors.quotaLimitReached(
    `A user's open upload sessions may declare at most ${describeBytes(max)} in all (${describeBytes(staged)} are open now); ` +
      `finish or delete some sessions first.`,
  );
}
