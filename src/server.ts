// Starting and stopping a Taskdrop server: store, token trust, TLS, HTTP app, janitor.
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { fileSigningKey, newSigningKeyJson, parseSigningKey, type SigningKey } from "./auth/dev-issuer.js";
import { cachingVerifier } from "./auth/token-cache.js";
import { createVerifier } from "./auth/verifier.js";
import type { Config } from "./config.js";
import { buildApp } from "./http/app.js";
import { ensureDataDir } from "./data-dir.js";
import { createLogger } from "./log.js";
import { startJanitor } from "./services/janitor.js";
import type { Deps } from "./services/deps.js";
import { openStore } from "./store/open-store.js";
import { exposedDirWarning } from "./store/sqlite/private-files.js";
import type { Store } from "./store/types.js";
import { ensureDevCertificates, loadUserCertificate, type TlsMaterial } from "./tls/index.js";

/** How long in-flight requests may run on after a shutdown begins. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface RunningServer {
  url: string;
  port: number;
  app: FastifyInstance;
  store: Store;
  deps: Deps;
  /** The certificate being served now (null over plain HTTP). */
  readonly tls: TlsMaterial | null;
  sweep(): Promise<number>;
  /**
   * Re-checks the certificate: development certificates are renewed when near expiry, the user's
   * files are read again (so a renewed --tls-cert is picked up). Resolves true when the server
   * switched to a new certificate; existing connections keep theirs. Also runs twice a day.
   */
  refreshTls(): Promise<boolean>;
  close(): Promise<void>;
}

/** The development signing key: beside the embedded store's data, or in the shared database. */
export async function devSigningKey(config: Config, store: Store): Promise<SigningKey> {
  if (store.kind === "sqlite") return fileSigningKey(config.dataDir);
  const candidate = await newSigningKeyJson();
  return parseSigningKey(await store.settings.getOrCreate("dev-signing-key", () => candidate));
}

/** How often a running server re-checks its certificate (renewal happens 30 days before expiry). */
const TLS_CHECK_MS = 12 * 3_600_000;

async function loadTls(config: Config, now: Date): Promise<TlsMaterial | null> {
  if (config.tlsCert && config.tlsKey) return loadUserCertificate(config.tlsCert, config.tlsKey);
  if (config.https) return ensureDevCertificates(join(config.dataDir, "tls"), { now });
  return null;
}

export async function startServer(config: Config, opts: { log?: Logger; now?: () => Date } = {}): Promise<RunningServer> {
  const log = opts.log ?? createLogger(config.logLevel);
  const now = opts.now ?? (() => new Date());
  // Your own certificate is only read: checked first, so a bad file fails before anything opens.
  const ownTls = config.tlsCert && config.tlsKey ? await loadUserCertificate(config.tlsCert, config.tlsKey) : null;
  // Then the embedded store's lock: a refused start (directory in use) must write nothing, not even
  // development certificates, into a directory another server owns.
  if (config.store === "sqlite" || (config.https && !config.tlsCert)) ensureDataDir(config.dataDir);
  const store = await openStore(config);
  try {
    let tls = ownTls ?? (await loadTls(config, now()));
    const key = config.auth.mode === "dev" ? await devSigningKey(config, store) : undefined;
    const deps: Deps = { config, store, log, now };
    let listening = `${config.host}:${config.port}`;
    const app = await buildApp({
      deps,
      verifier: cachingVerifier(createVerifier(config.auth, key, (e) => log.warn({ event: "issuer_keys_stale", err: e }, `keeping the cached issuer keys: ${e.message}`))),
      urls: { publicUrl: config.publicUrl, trustProxy: config.trustProxy, https: tls !== null, fallbackHost: () => listening },
      https: tls ? { cert: tls.cert, key: tls.key } : null,
      ...(key ? { devKey: key } : {}),
    });
    await app.listen({ host: config.host, port: config.port });
    const addr = app.server.address() as AddressInfo;
    listening = addr.family === "IPv6" ? `[${addr.address}]:${addr.port}` : `${addr.address}:${addr.port}`;
    const url = `${tls ? "https" : "http"}://${listening}`;
    const janitor = startJanitor(deps);
    log.info({ event: "server_started", url, store: store.kind, dataDir: config.dataDir }, "Taskdrop listening");
    const exposed = exposedDirWarning(config.dataDir);
    if (exposed) log.warn({ event: "data_dir_exposed", dataDir: config.dataDir }, exposed);

    const refreshTls = async (): Promise<boolean> => {
      if (!tls) return false;
      const next = (await loadTls(config, now()))!;
      if (next.cert === tls.cert && next.key === tls.key) return false;
      (app.server as HttpsServer).setSecureContext({ cert: next.cert, key: next.key });
      tls = next;
      log.info({ event: "tls_reloaded", renewed: next.renewed }, "serving a new TLS certificate");
      return true;
    };
    // A server that runs for months must not outlive its certificate; a bad file keeps the old one.
    const tlsTimer = tls
      ? setInterval(() => {
          refreshTls().catch((e) => log.warn({ event: "tls_reload_failed", err: e }, `keeping the current TLS certificate: ${(e as Error).message}`));
        }, TLS_CHECK_MS).unref()
      : undefined;

    let closing: Promise<void> | undefined;
    return {
      url,
      port: addr.port,
      app,
      store,
      deps,
      get tls() {
        return tls;
      },
      sweep: janitor.sweepNow,
      refreshTls,
      close: () =>
        (closing ??= (async () => {
          clearInterval(tlsTimer);
          janitor.stop();
          // In-flight requests may finish; keep-alive connections are dropped as soon as they go idle
          // (a connection can turn idle just after close() looked), and after a grace period nothing
          // holds the shutdown any longer.
          const idle = setInterval(() => app.server.closeIdleConnections(), 25);
          const hard = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
          try {
            await app.close();
          } finally {
            clearInterval(idle);
            clearTimeout(hard);
          }
          await store.close();
          log.info({ event: "server_stopped" }, "Taskdrop stopped");
        })()),
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}
