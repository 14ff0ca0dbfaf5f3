// What identifies a file the person chooses again after a reload: name, size, lastModified and a
// SHA-256 of its first MiB (cheap for any size, and enough to tell two different files apart;
// the SDK then checks the whole content before it continues a session).

export const HEAD_BYTES = 1_048_576;

export interface Fingerprint {
  name: string;
  size: number;
  lastModified: number;
  /** Lowercase hex SHA-256 of the first min(size, 1 MiB) bytes; "" where WebCrypto is unavailable. */
  head: string;
}

function hex(b: ArrayBuffer): string {
  return Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
}

/** The fingerprint of a File (or any Blob with a name and lastModified). */
export async function fingerprintOf(file: { name: string; size: number; lastModified: number; slice(a: number, b: number): Blob }): Promise<Fingerprint> {
  const subtle = globalThis.crypto?.subtle;
  const head = subtle ? hex(await subtle.digest("SHA-256", await file.slice(0, Math.min(file.size, HEAD_BYTES)).arrayBuffer())) : "";
  return { name: file.name, size: file.size, lastModified: file.lastModified, head };
}

/** Why `now` is not the file `was` describes, in words; undefined when it is the same file. */
export function fingerprintMismatch(was: Fingerprint, now: Fingerprint): string | undefined {
  if (was.name !== now.name) return `it is called ${now.name}, not ${was.name}`;
  if (was.size !== now.size) return `it has ${now.size.toLocaleString("en")} bytes, the paused upload ${was.size.toLocaleString("en")}`;
  if (was.lastModified !== now.lastModified) return "it was modified at another time than the file being uploaded";
  if (was.head !== now.head) return "its content differs";
  return undefined;
}

export function isFingerprint(x: unknown): x is Fingerprint {
  const f = x as Fingerprint | null;
  return typeof f === "object" && f !== null && typeof f.name === "string" && Number.isSafeInteger(f.size) && Number.isFinite(f.lastModified) && typeof f.head === "string";
}
