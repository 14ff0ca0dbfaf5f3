// One typed, validated configuration object built from flags > TASKDROP_* environment > defaults,
// passed down explicitly (no module-level mutable defaults).
import { resolve } from "node:path";
import { DEFAULT_RANGE_LIMIT } from "./domain/limits.js";
import { isStoreKind, STORE_KINDS, type StoreKind } from "./store/types.js";

export type SessionCasing = "pascal" | "camel";
/** How the server's log lines look; "auto" is decided by whoever owns stdout (the CLI). */
export type LogFormat = "auto" | "pretty" | "json";
const LOG_FORMATS: readonly LogFormat[] = ["auto", "pretty", "json"];

/** "dev": Taskdrop signs and verifies its own tokens; "oidc": verify against an issuer's JWKS. */
export type AuthConfig =
  | { mode: "dev" }
  | {
      mode: "oidc";
      issuer: string;
      audience: string;
      /** Explicit JWKS URL; otherwise discovered from `${issuer}/.well-known/openid-configuration`. */
      jwksUrl?: string;
      /** Deadline of each fetch from the issuer (discovery, JWKS). */
      fetchTimeoutMs: number;
      /** Cached keys are refreshed after this long (and keep serving while the refresh fails). */
      jwksMaxAgeSeconds: number;
      /** The web page's sign-in with the issuer (authorization code + PKCE); absent: the page cannot sign in. */
      web?: { clientId: string; scopes: string };
    };

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  store: StoreKind;
  databaseUrl?: string;
  /** PostgreSQL connections per instance (general queries plus one per PUT in flight). */
  databasePoolSize: number;
  https: boolean;
  tlsCert?: string;
  tlsKey?: string;
  publicUrl?: string;
  trustProxy: boolean;
  /** `true` = every origin; otherwise the exact origins allowed. */
  corsOrigins: true | string[];
  rangeLimit: number;
  sessionTtlSeconds: number;
  sessionCasing: SessionCasing;
  maxOpenSessionsPerUser: number;
  /** Per-read idle timeout on request bodies: a stalled PUT gives up its session lock after this. */
  bodyIdleTimeoutMs: number;
  /**
   * Slowest average rate (bytes/s) a range's body may arrive at: a PUT of n bytes must finish within
   * bodyIdleTimeoutMs + n / minUploadRate seconds, so a client dripping bytes under the idle timeout
   * cannot hold its session (and its upload slot) for long.
   */
  minUploadRate: number;
  /** Bytes one user's live open upload sessions may declare in all (0: no bound); past it, 507. */
  maxStagedBytes: number;
  /** Bytes the server may hold in all, attachments plus live open sessions' declared sizes (0: no bound). */
  maxDiskBytes: number;
  /** Embedded store: free space the data directory's file system keeps; a write that would eat into it is 507. */
  minFreeDiskBytes: number;
  /** Range PUTs one user may have in flight on one instance; more are answered 429. */
  maxUploadsPerUser: number;
  /** A request's headers must all arrive within this (slowloris guard); answered 408 otherwise. */
  headersTimeoutMs: number;
  /** A whole request, headers and body, must arrive within this; answered 408 and closed otherwise. */
  bodyTimeoutMs: number;
  /** Bytes of JSON bodies buffered at once over all connections; past it, 503 with Retry-After. */
  maxBufferedBodyBytes: number;
  janitorIntervalSeconds: number;
  /** Expired sessions are collected only after this much longer, so in-flight writes are never swept. */
  janitorGraceSeconds: number;
  /** Requests per minute per caller; 0 disables rate limiting. */
  rateLimitPerMinute: number;
  logLevel: string;
  logFormat: LogFormat;
  auth: AuthConfig;
}

/** A configuration the user can fix: reported as one line and exit code 2. */
export class ConfigError extends Error {
  readonly userFacing = true;
}

/** Raw option values as strings (from flags or environment), keyed by option name. */
export type RawOptions = Partial<Record<OptionName, string | boolean>>;

export const OPTIONS = {
  // Not HOST: shells and containers set it to the machine's name, which must never move the bind address.
  host: { env: "TASKDROP_HOST", help: "address to listen on (HOST in the environment is ignored, with a warning)", def: "127.0.0.1" },
  port: { env: "PORT", alt: "TASKDROP_PORT", help: "port to listen on (default 8080, or 8443 with --https)", def: "" },
  dataDir: { env: "TASKDROP_DATA_DIR", help: "data directory (SQLite database, bytes, keys, certificates)", def: "./data" },
  store: { env: "TASKDROP_STORE", help: "store: sqlite (embedded) or postgres", def: "sqlite" },
  databaseUrl: { env: "TASKDROP_DATABASE_URL", help: "PostgreSQL URL for --store postgres", def: "" },
  databasePoolSize: {
    env: "TASKDROP_DATABASE_POOL_SIZE",
    help: "PostgreSQL connections per instance; keep instances x size below the server's max_connections",
    def: "30",
  },
  https: { env: "TASKDROP_HTTPS", help: "serve HTTPS with a development certificate (or --tls-cert/--tls-key)", def: "false" },
  tlsCert: { env: "TASKDROP_TLS_CERT", help: "PEM certificate file for HTTPS", def: "" },
  tlsKey: { env: "TASKDROP_TLS_KEY", help: "PEM private key file for HTTPS", def: "" },
  publicUrl: { env: "TASKDROP_PUBLIC_URL", help: "base of every absolute URL emitted (e.g. https://todo.example.com)", def: "" },
  trustProxy: { env: "TASKDROP_TRUST_PROXY", help: "honour X-Forwarded-Proto/X-Forwarded-Host", def: "false" },
  corsOrigins: { env: "TASKDROP_CORS_ORIGINS", help: "comma-separated allowed origins, or * for all", def: "*" },
  rangeLimit: { env: "TASKDROP_RANGE_LIMIT", help: "largest byte range one PUT may carry", def: String(DEFAULT_RANGE_LIMIT) },
  sessionTtl: { env: "TASKDROP_SESSION_TTL", help: "upload session lifetime in seconds", def: "86400" },
  sessionCasing: { env: "TASKDROP_SESSION_CASING", help: "casing of intermediate PUT answers: pascal (as Graph) or camel", def: "pascal" },
  maxOpenSessions: { env: "TASKDROP_MAX_OPEN_SESSIONS", help: "open upload sessions allowed per user", def: "100" },
  bodyIdleTimeout: { env: "TASKDROP_BODY_IDLE_TIMEOUT", help: "milliseconds a request body may stall before it is dropped", def: "15000" },
  minUploadRate: {
    env: "TASKDROP_MIN_UPLOAD_RATE",
    help: "slowest average rate, in bytes/s, a range may arrive at (after the idle timeout's allowance)",
    def: "16384",
  },
  maxStagedBytes: {
    env: "TASKDROP_MAX_STAGED_BYTES",
    help: "bytes one user's open upload sessions may declare in all (0: no bound)",
    def: "2147483648",
  },
  maxDiskBytes: { env: "TASKDROP_MAX_DISK_BYTES", help: "bytes the server may hold in all, attachments and open sessions (0: no bound)", def: "0" },
  minFreeDiskBytes: {
    env: "TASKDROP_MIN_FREE_DISK_BYTES",
    help: "embedded store: free bytes the data directory's file system keeps; writes past it are refused",
    def: "268435456",
  },
  maxUploadsPerUser: { env: "TASKDROP_MAX_UPLOADS_PER_USER", help: "range PUTs one user may have in flight at once", def: "64" },
  headersTimeout: { env: "TASKDROP_HEADERS_TIMEOUT", help: "milliseconds a client may take to send a request's headers", def: "20000" },
  bodyTimeout: { env: "TASKDROP_BODY_TIMEOUT", help: "milliseconds a client may take to send a whole request, headers and body", def: "300000" },
  maxBufferedBodies: { env: "TASKDROP_MAX_BUFFERED_BODIES", help: "bytes of JSON request bodies held in memory at once, over all connections", def: "67108864" },
  janitorInterval: { env: "TASKDROP_JANITOR_INTERVAL", help: "seconds between sweeps of expired sessions", def: "60" },
  janitorGrace: { env: "TASKDROP_JANITOR_GRACE", help: "seconds past expiry before a session's bytes are collected", def: "300" },
  rateLimit: { env: "TASKDROP_RATE_LIMIT", help: "requests per minute per caller (0 = off)", def: "0" },
  logLevel: { env: "TASKDROP_LOG_LEVEL", help: "log level: fatal, error, warn, info, debug, trace, silent", def: "info" },
  logFormat: {
    env: "TASKDROP_LOG_FORMAT",
    help: "log lines on stdout: pretty (coloured, for people), json (one object per line), or auto (pretty on a terminal, else json)",
    def: "auto",
  },
  authIssuer: { env: "TASKDROP_AUTH_ISSUER", help: "OpenID Connect issuer to trust instead of development tokens", def: "" },
  authAudience: { env: "TASKDROP_AUTH_AUDIENCE", help: "audience required with --auth-issuer", def: "" },
  authJwksUrl: { env: "TASKDROP_AUTH_JWKS_URL", help: "JWKS URL (default: discovered from the issuer)", def: "" },
  authTimeout: { env: "TASKDROP_AUTH_TIMEOUT", help: "milliseconds each fetch from the issuer (discovery, JWKS) may take", def: "5000" },
  authJwksMaxAge: { env: "TASKDROP_AUTH_JWKS_MAX_AGE", help: "seconds before the issuer's keys are refreshed (cached keys serve while it fails)", def: "600" },
  webClientId: { env: "TASKDROP_WEB_CLIENT_ID", help: "OAuth client id of the web page at the issuer (public client, code + PKCE), with --auth-issuer", def: "" },
  webScopes: { env: "TASKDROP_WEB_SCOPES", help: "scopes the web page asks the issuer for", def: "openid profile" },
} as const;
export type OptionName = keyof typeof OPTIONS;

/** The command-line flag of an option: the key in kebab case (`dataDir` → `--data-dir`). */
export function optionFlag(name: OptionName): string {
  return `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The environment variables an option is read from, the one that wins first. */
export function optionEnvNames(name: OptionName): string[] {
  const o = OPTIONS[name] as { env: string; alt?: string };
  return o.alt !== undefined ? [o.alt, o.env] : [o.env];
}

/** An option's raw value and where it came from: the flag, or the environment variable (for messages). */
interface Picked {
  value: string;
  /** `--port`, or `TASKDROP_PORT` when the value came from the environment. */
  from: string;
}

function pick(name: OptionName, flags: RawOptions, env: NodeJS.ProcessEnv): Picked {
  const flag = flags[name];
  if (flag !== undefined) return { value: String(flag), from: optionFlag(name) };
  // An empty variable counts as unset, as shells make clearing one easier than unsetting it.
  const set = optionEnvNames(name).find((v) => env[v] !== undefined && env[v] !== "");
  if (set !== undefined) return { value: env[set]!, from: set };
  return { value: OPTIONS[name].def, from: optionFlag(name) };
}

function int({ value: v, from }: Picked, min: number, max: number): number {
  if (!/^\d+$/.test(v)) throw new ConfigError(`${from} must be a whole number, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new ConfigError(`${from} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** The documented spellings only: a typo such as "ture" or a "yes" must not silently mean anything. */
function bool({ value: v, from }: Picked): boolean {
  if (v === "true" || v === "1") return true;
  if (v === "false" || v === "0") return false;
  throw new ConfigError(`${from} must be true or false (or 1 or 0), got "${v}"`);
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

function url({ value: v, from }: Picked): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(`${from} must be an absolute URL, got "${v}"`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new ConfigError(`${from} must be an http(s) URL, got "${v}"`);
  return v;
}

/** --public-url is glued in front of every emitted path: scheme, host, optional port and path only. */
function publicBaseUrl(p: Picked): string {
  const v = p.value;
  const u = new URL(url(p));
  if (u.search || u.hash || u.username || u.password || v.includes("?") || v.includes("#")) {
    throw new ConfigError(`${p.from} must be a plain base URL (no query, fragment or credentials), got "${v}"`);
  }
  return `${u.origin}${u.pathname}`.replace(/\/+$/, "");
}

/**
 * A warning for the start-up output when the environment has a HOST that Taskdrop ignores (older
 * versions and many servers honour it): undefined when there is nothing to say.
 */
export function ignoredHostNotice(config: Pick<Config, "host">, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const host = env.HOST;
  if (host === undefined || host === "" || host === config.host) return undefined;
  return `HOST=${JSON.stringify(host).slice(1, -1)} is set in the environment and ignored: listening on ${config.host} (use --host or TASKDROP_HOST to change it)`;
}

export function loadConfig(flags: RawOptions = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const opt = (n: OptionName) => pick(n, flags, env);
  const get = (n: OptionName) => opt(n).value;
  const https = bool(opt("https"));
  const store = opt("store");
  if (!isStoreKind(store.value)) throw new ConfigError(`${store.from} must be ${STORE_KINDS.join(" or ")}, got "${store.value}"`);
  const databaseUrl = get("databaseUrl") || undefined;
  if (store.value === "postgres" && !databaseUrl) throw new ConfigError("--store postgres needs --database-url (or TASKDROP_DATABASE_URL)");
  const tlsCert = get("tlsCert") || undefined;
  const tlsKey = get("tlsKey") || undefined;
  if ((tlsCert === undefined) !== (tlsKey === undefined)) throw new ConfigError("--tls-cert and --tls-key go together");
  const publicUrlRaw = opt("publicUrl");
  const publicUrl = publicUrlRaw.value ? publicBaseUrl(publicUrlRaw) : undefined;
  const casing = opt("sessionCasing");
  if (casing.value !== "pascal" && casing.value !== "camel") throw new ConfigError(`${casing.from} must be pascal or camel, got "${casing.value}"`);
  const origins = opt("corsOrigins");
  const corsOrigins: true | string[] =
    origins.value.trim() === "*"
      ? true
      : origins.value
          .split(",")
          .map((o) => o.trim())
          .filter((o) => o.length > 0)
          .map((o) => new URL(url({ value: o, from: origins.from })).origin);
  const issuer = opt("authIssuer");
  const audience = get("authAudience") || undefined;
  if (issuer.value && !audience) throw new ConfigError("--auth-issuer needs --auth-audience (or TASKDROP_AUTH_AUDIENCE)");
  const port = opt("port");
  const logLevel = opt("logLevel");
  if (!LOG_LEVELS.includes(logLevel.value)) throw new ConfigError(`${logLevel.from} must be one of ${LOG_LEVELS.join(", ")}, got "${logLevel.value}"`);
  const logFormat = opt("logFormat");
  if (!(LOG_FORMATS as readonly string[]).includes(logFormat.value)) throw new ConfigError(`${logFormat.from} must be one of ${LOG_FORMATS.join(", ")}, got "${logFormat.value}"`);
  const jwks = opt("authJwksUrl");
  const headersTimeout = opt("headersTimeout");
  const headersTimeoutMs = int(headersTimeout, 100, 600_000);
  const bodyTimeout = opt("bodyTimeout");
  const bodyTimeoutMs = int(bodyTimeout, 100, 86_400_000);
  if (bodyTimeoutMs < headersTimeoutMs) throw new ConfigError(`${bodyTimeout.from} (${bodyTimeoutMs}) must be at least ${headersTimeout.from} (${headersTimeoutMs}): it bounds the whole request`);
  const webClientId = get("webClientId").trim();
  if (webClientId && !issuer.value) throw new ConfigError("--web-client-id is the page's client at an OpenID Connect issuer: it needs --auth-issuer");
  const webScopes = get("webScopes").split(/\s+/).filter(Boolean);
  if (!webScopes.includes("openid")) webScopes.unshift("openid");
  return {
    host: get("host"),
    port: port.value === "" ? (https || tlsCert ? 8443 : 8080) : int(port, 0, 65535),
    dataDir: resolve(get("dataDir")),
    store: store.value,
    databaseUrl,
    databasePoolSize: int(opt("databasePoolSize"), 4, 1000),
    https: https || tlsCert !== undefined,
    tlsCert,
    tlsKey,
    publicUrl,
    trustProxy: bool(opt("trustProxy")),
    corsOrigins,
    rangeLimit: int(opt("rangeLimit"), 1, 64 * 1024 * 1024),
    sessionTtlSeconds: int(opt("sessionTtl"), 1, 30 * 86400),
    sessionCasing: casing.value,
    maxOpenSessionsPerUser: int(opt("maxOpenSessions"), 1, 1_000_000),
    bodyIdleTimeoutMs: int(opt("bodyIdleTimeout"), 100, 3_600_000),
    minUploadRate: int(opt("minUploadRate"), 1, 1_000_000_000),
    maxUploadsPerUser: int(opt("maxUploadsPerUser"), 1, 100_000),
    maxStagedBytes: int(opt("maxStagedBytes"), 0, 2 ** 50),
    maxDiskBytes: int(opt("maxDiskBytes"), 0, 2 ** 50),
    minFreeDiskBytes: int(opt("minFreeDiskBytes"), 0, 2 ** 50),
    headersTimeoutMs,
    bodyTimeoutMs,
    maxBufferedBodyBytes: int(opt("maxBufferedBodies"), 1_048_576, 2 ** 40),
    janitorIntervalSeconds: int(opt("janitorInterval"), 1, 86400),
    janitorGraceSeconds: int(opt("janitorGrace"), 0, 86400),
    rateLimitPerMinute: int(opt("rateLimit"), 0, 10_000_000),
    logLevel: logLevel.value,
    logFormat: logFormat.value as LogFormat,
    auth: issuer.value
      ? {
          mode: "oidc",
          issuer: url(issuer),
          audience: audience!,
          ...(jwks.value ? { jwksUrl: url(jwks) } : {}),
          fetchTimeoutMs: int(opt("authTimeout"), 50, 120_000),
          jwksMaxAgeSeconds: int(opt("authJwksMaxAge"), 1, 7 * 86400),
          ...(webClientId ? { web: { clientId: webClientId, scopes: webScopes.join(" ") } } : {}),
        }
      : { mode: "dev" },
  };
}
