// Size limits from the contract (spec: "Upload session, step by step" and "Resources").
// Plain constants: the configurable range limit is passed in explicitly by whoever reads config;
// DEFAULT_RANGE_LIMIT is only its default.

/** Largest declared size of an upload session: 25 MiB, inclusive. */
export const MAX_ATTACHMENT_BYTES = 26_214_400;

/** Default largest Content-Length of one PUT to an upload session: 4 MiB, inclusive. */
export const DEFAULT_RANGE_LIMIT = 4_194_304;

/** The small-file POST accepts decoded sizes strictly below this (3 MiB); 3 MiB itself is 413. */
export const SMALL_FILE_LIMIT = 3_145_728;

/** Longest attachment name, counted in Unicode code points. */
export const MAX_NAME_LENGTH = 255;

/** Longest contentType string we store. RFC 6838 caps type and subtype at 127 chars each. */
export const MAX_CONTENT_TYPE_LENGTH = 255;

/** For error messages: "4194304 bytes (4 MiB)", the MiB part only when exact. */
export function describeBytes(n: number): string {
  const mib = n / 1_048_576;
  return Number.isInteger(mib) && mib > 0 ? `${n} bytes (${mib} MiB)` : `${n} bytes`;
}
