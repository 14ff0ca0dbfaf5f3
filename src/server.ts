// Starting and stopping a Taskdrop server: store, token trust, TLS, HTTP app, janitor.
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { fileSigningKey, newSigningKeyJson, parseSigningKey, type SigningKey } from "./auth/dev-issuer.js";
import { createVerifier } from "./auth/verifier.js";
import type { Config } from "./config.js";
import { buildApp } from "./http/app.js";
import { createLogger } from "./log.js";
import { startJanitor } from "./services/janitor.js";
import type { Deps } from "./services/deps.js";
import { openStore } from "./store/open-store.js";
import type { Store } from "./store/types.js";
import { ensureDevCertificates, loadUserCertificate, type TlsMaterial } from "./tls/index.js";

export interface RunningServer {
  url: string;
  port: number;
  app: FastifyInstance;
  store: Store;
  deps: Deps;
  tls: TlsMaterial | null;
  sweep(): Promise<number>;
  close(): Promise<void>;
}

/** The development signing key: beside the embedded store's data, or in the shared database. */
export async function devSigningKey(config: Config, store: Store): Promise<SigningKey> {
  if (store.kind === "sqlite") return fileSigningKey(config.dataDir);
  const candidate = await newSigningKeyJson();
  return parseSigningKey(await store.settings.getOrCreate("dev-signing-key", () => candidate));
}

export async function startServer(config: Config, opts: { log?: Logger; now?: () => Date } = {}): Promise<RunningServer> {
  const log = opts.log ?? createLogger(config.logLevel);
  let tls: TlsMaterial | null = null;
  if (config.tlsCert && config.tlsKey) tls = await loadUserCertificate(config.tlsCert, config.tlsKey);
  else if (config.https) tls = await ensureDevCertificates(join(config.dataDir, "tls"));

  const store = await openStore(config);
  try {
    const key = config.auth.mode === "dev" ? await devSigningKey(config, store) : undefined;
    const deps: Deps = { config, store, log, now: opts.now ?? (() => new Date()) };
    let listening = `${config.host}:${config.port}`;
    const app = await buildApp({
      deps,
      verifier: createVerifier(config.auth, key),
      urls: { publicUrl: config.publicUrl, trustProxy: config.trustProxy, https: tls !== null, fallbackHost: () => listening },
      https: tls ? { cert: tls.cert, key: tls.key } : null,
    });
    await app.listen({ host: config.host, port: config.port });
    const addr = app.server.address() as AddressInfo;
    listening = addr.family === "IPv6" ? `[${addr.address}]:${addr.port}` : `${addr.address}:${addr.port}`;
    const url = `${tls ? "https" : "http"}://${listening}`;
    const janitor = startJanitor(deps);
    log.info({ event: "server_started", url, store: store.kind, dataDir: config.dataDir }, "Taskdrop listening");
    let closing: Promise<void> | undefined;
    return {
      url,
      port: addr.port,
      app,
      store,
      deps,
      tls,
      sweep: janitor.sweepNow,
      close: () =>
        (closing ??= (async () => {
          janitor.stop();
          await app.close();
          await store.close();
          log.info({ event: "server_stopped" }, "Taskdrop stopped");
        })()),
    };
  } catch (e) {
    await store.close();
    throw e;
  }
}
