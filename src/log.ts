// Structured logs: pino, one JSON line per event, each with a stable `event` name.
// An upload session id is a write capability for the session's lifetime (the uploadUrl needs
// nothing else), so it never reaches a log in full: lines carry a fingerprint that still lets an
// operator match the lines of one session, and nothing a reader could replay.
import { createHash } from "node:crypto";
import { pino, type Logger } from "pino";

/** A stable, non-reversible stand-in for a session id in logs: `AQMkS…#1a2b3c4d`. */
export function sessionFingerprint(id: string): string {
  return `AQMkS…#${createHash("sha256").update(id).digest("hex").slice(0, 8)}`;
}

// What a session id (or enough of one to matter) looks like wherever it turns up in a line: a URL,
// an error message, a stack, a database error's parameters — with the uploadUrl's secret that may
// follow it. `%3D` is a percent-encoded `=`.
const SESSION_ID_LIKE = /(AQMkS[A-Za-z0-9_-]{8,}(?:=|%3D)?)[A-Za-z0-9_-]*/gi;

/** Replaces everything in `text` that looks like a session id (and its secret) by the id's fingerprint. */
export function redactSessionIds(text: string): string {
  return text.replace(SESSION_ID_LIKE, (_m, id: string) => sessionFingerprint(id.replace(/%3D$/i, "=")));
}

/** The session id an uploadUrl's last segment starts with (the secret after its `=` is dropped). */
const ID_OF_KEY = /^AQMkS[A-Za-z0-9_-]+=/;

/**
 * The request path as logged: the segment after `attachmentSessions/` (however the client encoded
 * it) becomes the fingerprint of the session id it starts with, and the query string is dropped.
 */
export function loggedPath(url: string): string {
  const path = url.split("?")[0]!;
  return path.replace(/(\/attachmentSessions\/)([^/]+)/i, (_m, head: string, seg: string) => {
    let id = seg;
    try {
      id = decodeURIComponent(seg);
    } catch {
      /* bad percent-encoding: fingerprint it as sent */
    }
    return head + sessionFingerprint(ID_OF_KEY.exec(id)?.[0] ?? id);
  });
}

/** Every line passes through `redactSessionIds` before it is written. */
function redacting(destination: NodeJS.WritableStream): { write(line: string): boolean } {
  return { write: (line: string) => destination.write(redactSessionIds(line)) };
}

export function createLogger(level: string, destination: NodeJS.WritableStream = process.stdout): Logger {
  return pino({ level, base: { service: "taskdrop" }, timestamp: pino.stdTimeFunctions.isoTime }, redacting(destination) as never);
}
