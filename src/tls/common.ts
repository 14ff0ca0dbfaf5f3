// Types and the error shared by the development-certificate and user-certificate paths.

/** What the HTTPS server needs, plus what the CLI reports at start. */
export interface TlsMaterial {
  /** PEM certificate (for the development certificate: the leaf only; clients trust the CA file). */
  cert: string;
  /** PEM private key (PKCS#8 for development keys; whatever the user supplied otherwise). */
  key: string;
  /** Path of the CA certificate clients should trust (`NODE_EXTRA_CA_CERTS`), when Taskdrop made one. */
  caFile?: string;
  /** A new development CA (and server certificate) was made on this call. */
  created: boolean;
  /** The server certificate was re-issued by the existing development CA on this call. */
  renewed: boolean;
}

/**
 * A TLS set-up problem the user has to fix (bad file, wrong key, unwritable directory).
 * The message is one line meant to be printed as is, without a stack trace.
 */
export class TlsConfigError extends Error {
  override readonly name = "TlsConfigError";
  readonly userFacing = true;
  /** The file or directory the problem is about, when there is one. */
  readonly path: string | undefined;
  constructor(message: string, path?: string) {
    super(message);
    this.path = path;
  }
}

/** Short reason from a Node system error, e.g. "EACCES" or "no such file". */
export function fsReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "is a directory";
    case "ENOTDIR":
      return "a parent path is not a directory";
    case "EROFS":
      return "read-only file system";
    case "ENOSPC":
      return "no space left on device";
    default:
      return code ?? (err instanceof Error ? err.message : String(err));
  }
}
