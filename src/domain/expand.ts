// `$expand` on todoTask: which child collections to embed. Pure: the route fetches what this names.
// Unknown navigation properties get the 400 Graph gives for an unknown property; what Taskdrop does
// not expand (attachments, options in parentheses) is refused, never silently ignored.
import { errors } from "./errors.js";
import type { ChildKind } from "./models.js";

const TASK_NAVIGATION: Readonly<Record<string, ChildKind>> = { checklistItems: "checklistItem", linkedResources: "linkedResource", extensions: "extension" };

/** The child kinds `$expand` asks for on a task or task collection, in the order given, each once. */
export function parseTaskExpand(query: Record<string, string | string[] | undefined>): ChildKind[] {
  const raw = query.$expand;
  if (raw === undefined) return [];
  if (Array.isArray(raw)) throw errors.invalid("Query option $expand was given more than once.");
  const kinds: ChildKind[] = [];
  for (const item of raw.split(",").map((s) => s.trim())) {
    if (item.includes("(")) throw errors.invalid(`Query options inside $expand ('${item.slice(0, 64)}') are not supported.`);
    if (item === "attachments") throw errors.invalid("$expand=attachments is not supported; list the task's attachments instead.");
    const kind = Object.hasOwn(TASK_NAVIGATION, item) ? TASK_NAVIGATION[item] : undefined;
    if (!kind) throw errors.invalid(`Could not find a property named '${item.slice(0, 64)}' on type 'microsoft.graph.todoTask'.`);
    if (!kinds.includes(kind)) kinds.push(kind);
  }
  return kinds;
}
