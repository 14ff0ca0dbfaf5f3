// Every target the harness knows, in report order.
import { baseline, sink } from "./raw.js";
import { taskdrop, taskdropPg, taskdropRef, taskdropRefPg } from "./taskdrop.js";
import { tus } from "./tus.js";
import type { Target } from "./types.js";

export const TARGETS: readonly Target[] = [taskdrop, taskdropRef, taskdropPg, taskdropRefPg, baseline, tus, sink];

export function targetByName(name: string): Target {
  const t = TARGETS.find((x) => x.name === name);
  if (!t) throw new Error(`unknown target "${name}" (known: ${TARGETS.map((x) => x.name).join(", ")})`);
  return t;
}
