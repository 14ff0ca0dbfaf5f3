// Graph answers an unknown path with 400 "Resource not found for the segment '…'", naming the
// first segment that does not fit; a known path with the wrong method gets 405.
import { GraphError, errors } from "../domain/errors.js";
import { GRAPH_FUNCTIONS as FUNCTIONS } from "./path-ids.js";

/** A task's navigation properties served by routes/todo/task-children.ts. */
const CHILD_SEGMENTS = new Set(["checklistItems", "linkedResources", "extensions"]);

/** Each state maps a segment to the next state, or null when the segment does not belong there. */
const grammar: Record<string, (seg: string) => string | null> = {
  version: (s) => (s === "me" ? "todoRoot" : s === "users" ? "userId" : s === "$metadata" ? "end" : null),
  userId: () => "todoRoot",
  todoRoot: (s) => (s === "todo" ? "todo" : null),
  todo: (s) => (s === "lists" ? "lists" : null),
  lists: (s) => (FUNCTIONS.has(s) ? null : "list"),
  list: (s) => (s === "tasks" ? "tasks" : s === "extensions" ? "children" : null),
  tasks: (s) => (FUNCTIONS.has(s) ? null : "task"),
  task: (s) =>
    s === "attachments" ? "attachments" : s === "attachmentSessions" ? "sessions" : CHILD_SEGMENTS.has(s) ? "children" : null,
  children: () => "child",
  child: () => null,
  attachments: (s) => (s === "createUploadSession" ? "end" : "attachment"),
  attachment: (s) => (s === "$value" ? "end" : null),
  sessions: () => "session",
  session: (s) => (s === "content" ? "end" : null),
  end: () => null,
};

/** States where Taskdrop serves no resource at all (`/v1.0/me`, `/v1.0/me/todo`): not a method problem. */
const NO_RESOURCE = new Set(["version", "userId", "todoRoot", "todo"]);

export function unknownRouteError(path: string): GraphError {
  const segs = path.split("?")[0]!.split("/").filter((s) => s.length > 0).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  if (segs.length === 0) return errors.unknownSegment("");
  if (segs[0] === "_taskdrop") return errors.notFound(`Taskdrop has no endpoint ${path.split("?")[0]!.slice(0, 128)}; GET /_taskdrop lists them.`);
  // Graph: 400 BadRequest "Invalid version: …" (the catalogue's BadRequest shape, another message).
  if (segs[0] !== "v1.0" && segs[0] !== "beta") return new GraphError("unknownSegment", `Invalid version: ${segs[0]!.slice(0, 64)}`);
  let state = "version";
  for (const seg of segs.slice(1)) {
    const next = grammar[state]!(seg);
    if (next === null) return errors.unknownSegment(seg.slice(0, 128));
    state = next;
  }
  if (NO_RESOURCE.has(state)) return errors.unknownSegment(segs[segs.length - 1]!.slice(0, 128));
  return errors.methodNotAllowed();
}
