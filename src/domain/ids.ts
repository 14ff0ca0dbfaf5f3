// Opaque ids in the spirit of Graph's base64 ids. Each kind has its own tag and length, so a
// string that cannot be an id Taskdrop issued is told apart (400) from an unknown one (404).
import { randomBytes } from "node:crypto";
import { errors } from "./errors.js";

export type IdKind = "list" | "task" | "attachment" | "session" | "checklistItem" | "linkedResource";

const SPEC: Record<IdKind, { tag: string; bytes: number }> = {
  list: { tag: "AQMkL", bytes: 18 },
  task: { tag: "AQMkT", bytes: 18 },
  attachment: { tag: "AQMkA", bytes: 18 },
  checklistItem: { tag: "AQMkC", bytes: 18 },
  linkedResource: { tag: "AQMkR", bytes: 18 },
  // 256 bits: the session id is unguessable, though the uploadUrl's capability is its secret (services/upload-access.ts).
  session: { tag: "AQMkS", bytes: 32 },
};

const PATTERNS: Record<IdKind, RegExp> = Object.fromEntries(
  Object.entries(SPEC).map(([k, s]) => [k, new RegExp(`^${s.tag}[A-Za-z0-9_-]{${Math.ceil((s.bytes * 4) / 3)}}=$`)]),
) as Record<IdKind, RegExp>;

export function newId(kind: IdKind): string {
  const s = SPEC[kind];
  return `${s.tag}${randomBytes(s.bytes).toString("base64url")}=`;
}

export function isId(kind: IdKind, value: string): boolean {
  return PATTERNS[kind].test(value);
}

const LABEL: Record<IdKind, string> = { list: "The list id", task: "The task id", attachment: "The attachment id", checklistItem: "The checklist item id", linkedResource: "The linked resource id", session: "The upload session id" };

/** Returns the id if well-formed, else throws the 400 Graph answers for a malformed id. */
export function requireId(kind: IdKind, value: string): string {
  if (!isId(kind, value)) throw errors.malformedId(LABEL[kind]);
  return value;
}
