// The package's front door (`import { startTaskdrop } from "taskdrop"`): a Taskdrop server run from
// code, for test suites of Graph apps (as Azurite and @tus/server can be run from code). Tokens come
// from the server's development issuer, so a suite needs no identity provider.
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mintToken } from "./auth/dev-issuer.js";
import { loadConfig, type OptionName, type RawOptions } from "./config.js";
import { devSigningKey, startServer } from "./server.js";
import type { StoreKind } from "./store/types.js";

export interface StartOptions {
  /** Data directory (embedded store, signing key, certificates). Default: a new temporary directory that close() removes. */
  dataDir?: string;
  /** Port to listen on; 0 (the default) takes a free one, read it from `url`. */
  port?: number;
  /** Address to listen on. Default 127.0.0.1. */
  host?: string;
  /** Serve HTTPS with a development certificate; trust `ca` in the clients (Microsoft's JS SDK v3 needs https). */
  https?: boolean;
  /** "sqlite" (default) or "postgres" with `databaseUrl`. */
  store?: StoreKind;
  databaseUrl?: string;
  /** Default "silent". */
  logLevel?: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Any other server option by its configuration name, as `taskdrop serve` takes it (e.g. `{ sessionTtl: "60" }`). */
  options?: Partial<Record<Exclude<OptionName, "dataDir" | "port" | "host" | "https" | "store" | "databaseUrl" | "logLevel">, string | boolean>>;
}

export interface TokenOptions {
  /** Delegated scopes. Default ["Tasks.ReadWrite"]. */
  scopes?: string[];
  /** Lifetime in seconds. Default one day. */
  expiresInSeconds?: number;
}

export interface Taskdrop {
  /** Base URL of the server, e.g. `http://127.0.0.1:53211`; Graph's paths follow (`/v1.0/me/todo/lists`). */
  readonly url: string;
  readonly port: number;
  /** PEM of the development CA to trust when `https` is on (undici's `connect.ca`, or NODE_EXTRA_CA_CERTS with `caFile`). */
  readonly ca?: string;
  readonly caFile?: string;
  /** A bearer token for `user` (a name or UPN; the user is created on first use). */
  token(user?: string, opts?: TokenOptions): Promise<string>;
  /** An app-only bearer token with the given application roles (default Tasks.ReadWrite.All). */
  appToken(app: string, roles?: string[]): Promise<string>;
  /** Empties all data (users, lists, tasks, attachments, sessions) without a restart; tokens stay valid. */
  reset(): Promise<void>;
  /** Stops the server (and removes the temporary data directory it made). */
  close(): Promise<void>;
}

export async function startTaskdrop(o: StartOptions = {}): Promise<Taskdrop> {
  const temporary = o.dataDir === undefined ? await mkdtemp(join(tmpdir(), "taskdrop-")) : undefined;
  try {
    const raw: RawOptions = {
      ...o.options,
      dataDir: o.dataDir ?? temporary!,
      port: String(o.port ?? 0),
      host: o.host ?? "127.0.0.1",
      https: o.https ?? false,
      store: o.store ?? "sqlite",
      logLevel: o.logLevel ?? "silent",
      ...(o.databaseUrl !== undefined ? { databaseUrl: o.databaseUrl } : {}),
    };
    // The environment is not read: a suite's server must not change with the shell it runs in.
    const config = loadConfig(raw, {});
    const server = await startServer(config);
    const key = config.auth.mode === "dev" ? await devSigningKey(config, server.store) : undefined;
    const signingKey = () => {
      if (!key) throw new Error("token() needs development tokens; this server trusts an OpenID issuer (authIssuer)");
      return key;
    };
    const caFile = server.tls?.caFile;
    const ca = caFile ? await readFile(caFile, "utf8") : undefined;
    let closed: Promise<void> | undefined;
    return {
      url: server.url,
      port: server.port,
      ...(ca ? { ca, caFile } : {}),
      token: async (user = "alice", t = {}) =>
        mintToken(signingKey(), { user, scopes: t.scopes ?? ["Tasks.ReadWrite"], ...(t.expiresInSeconds ? { expiresInSeconds: t.expiresInSeconds } : {}) }),
      appToken: async (app, roles) => mintToken(signingKey(), { app, roles: roles ?? ["Tasks.ReadWrite.All"] }),
      reset: () => server.store.reset(),
      close: () =>
        (closed ??= (async () => {
          await server.close();
          if (temporary) await rm(temporary, { recursive: true, force: true });
        })()),
    };
  } catch (e) {
    if (temporary) await rm(temporary, { recursive: true, force: true });
    throw e;
  }
}
