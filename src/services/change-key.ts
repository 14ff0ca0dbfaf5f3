import { randomBytes } from "node:crypto";

/** A fresh version stamp; `@odata.etag` is W/"<changeKey>". */
export const newChangeKey = (): string => randomBytes(12).toString("base64");

/** If-Match: absent or `*` always matches; otherwise one of the listed etags must be current. */
export function ifMatchHolds(ifMatch: string | undefined, changeKey: string): boolean {
  if (ifMatch === undefined || ifMatch.trim() === "*") return true;
  const current = `"${changeKey}"`;
  return ifMatch.split(",").some((t) => t.trim().replace(/^W\//, "") === current);
}
