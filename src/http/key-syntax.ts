// Graph accepts `attachments('{id}')`, `Attachments('{id}')` and `Attachments/{id}` alike, and
// segment names case-insensitively. Normalising the path once lets routes see one shape.
const SEGMENTS = ["me", "users", "todo", "lists", "tasks", "attachments", "attachmentSessions", "createUploadSession", "content", "$value"];
const CANONICAL = new Map(SEGMENTS.map((s) => [s.toLowerCase(), s]));
const KEYED = /^([A-Za-z]+)(?:\(|%28)(?:'|%27)(.*)(?:'|%27)(?:\)|%29)$/i;

/** `delta()` (the function call the SDKs send) and `microsoft.graph.delta[()]` are `delta`. */
const DELTA_FUNCTION = /^(?:microsoft\.graph\.)?delta(?:\(\)|%28%29)?$/i;

export function normalisePath(url: string): string {
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? "" : url.slice(q);
  const out: string[] = [];
  for (const seg of path.split("/")) {
    const keyed = KEYED.exec(seg);
    if (keyed && CANONICAL.has(keyed[1]!.toLowerCase())) {
      out.push(CANONICAL.get(keyed[1]!.toLowerCase())!, keyed[2]!.replace(/''/g, "'"));
      continue;
    }
    if (DELTA_FUNCTION.test(seg)) {
      out.push("delta");
      continue;
    }
    out.push(CANONICAL.get(seg.toLowerCase()) ?? seg);
  }
  return out.join("/") + query;
}
