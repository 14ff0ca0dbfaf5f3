// The `Range` request header of a download (`…/attachments/{id}/$value`), RFC 9110 §14.1.2,
// narrowed to the one-range forms a download client sends. A header Taskdrop does not understand
// is ignored (the whole body is sent), as RFC 9110 §14.2 lets a server do; a range that starts past
// the end is unsatisfiable (416).

/** An inclusive byte range inside a body of known size. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * `bytes=a-b`, `bytes=a-` or `bytes=-n` against a body of `size` bytes. `undefined`: no range
 * (absent, malformed, several ranges, or `b < a`), answer the whole body.
 */
export function parseDownloadRange(header: string | undefined, size: number): ByteRange | "unsatisfiable" | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0) return "unsatisfiable";
    return size === 0 ? "unsatisfiable" : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  if (m[2] !== "" && Number(m[2]) < start) return undefined;
  if (start >= size) return "unsatisfiable";
  return { start, end: m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1) };
}
