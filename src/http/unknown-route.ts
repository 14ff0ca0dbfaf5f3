// Graph answers an unknown path with 400 "Resource not found for the segment '…'", naming the
// first segment that does not fit; a known path with the wrong method gets 405.
import { errors, type GraphError } from "../domain/errors.js";

/** Each state maps a segment to the next state, or null when the segment does not belong there. */
const grammar: Record<string, (seg: string) => string | null> = {
  version: (s) => (s === "me" ? "todoRoot" : s === "users" ? "userId" : null),
  userId: () => "todoRoot",
  todoRoot: (s) => (s === "todo" ? "todo" : null),
  todo: (s) => (s === "lists" ? "lists" : null),
  lists: () => "list",
  list: (s) => (s === "tasks" ? "tasks" : null),
  tasks: () => "task",
  task: (s) => (s === "attachments" ? "attachments" : s === "attachmentSessions" ? "sessions" : null),
  attachments: (s) => (s === "createUploadSession" ? "end" : "attachment"),
  attachment: (s) => (s === "$value" ? "end" : null),
  sessions: () => "session",
  session: (s) => (s === "content" ? "end" : null),
  end: () => null,
};

export function unknownRouteError(path: string): GraphError {
  const segs = path.split("?")[0]!.split("/").filter((s) => s.length > 0).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  });
  if (segs.length === 0) return errors.unknownSegment("");
  if (segs[0] !== "v1.0" && segs[0] !== "beta") return errors.invalid(`Invalid version: ${segs[0]!.slice(0, 64)}`);
  let state = "version";
  for (const seg of segs.slice(1)) {
    const next = grammar[state]!(seg);
    if (next === null) return errors.unknownSegment(seg.slice(0, 128));
    state = next;
  }
  return errors.methodNotAllowed();
}
