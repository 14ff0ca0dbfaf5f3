import { relative, resolve } from "node:path";
import type { Command } from "commander";
import { ignoredHostNotice, type Config } from "../config.js";
import { ensureDataDir } from "../data-dir.js";
import { addServerOptions, configFrom, fail } from "./common.js";
import { invocation, shellQuote } from "./invocation.js";
import { DEFAULT_SERVER_URL } from "./locate.js";
import { logDestination } from "./log-stream.js";
import { announce } from "./registry.js";

/**
 * What a person needs right after the start, as commands that work where they are: how to get a
 * token and make a first call, or upload with the CLI, and the page. On stderr: stdout is the log.
 */
export function banner(config: Config, url: string, o: { caFile?: string; page: boolean; notice?: string }): string {
  const run = invocation();
  const lines = [`Taskdrop serving ${url} (store: ${config.store}${config.store === "sqlite" ? `, data: ${config.dataDir}` : ""})`];
  if (o.caFile) lines.push(`Development CA: ${o.caFile}`, `Trust it in Node clients with: NODE_EXTRA_CA_CERTS=${o.caFile}`);
  if (config.auth.mode === "dev") {
    // The other commands also find this server by themselves (registry.ts), but with several
    // servers running only explicit flags are sure to pick this one.
    const where =
      config.store === "postgres"
        ? ` --store postgres${process.env.TASKDROP_DATABASE_URL ? "" : " --database-url <the same URL>"}`
        : config.dataDir !== resolve("data")
          ? ` --data-dir ${shellQuote(relativeIfShorter(config.dataDir))}`
          : "";
    const ca = o.caFile ? shellQuote(relativeIfShorter(o.caFile)) : undefined;
    const baseUrl = url === DEFAULT_SERVER_URL ? "" : ` --base-url ${url}/v1.0`;
    lines.push(
      "Next, in another terminal here:",
      `  TOKEN=$(${run} token --user alice${where})`,
      `  curl${ca ? ` --cacert ${ca}` : ""} -H "Authorization: Bearer $TOKEN" ${url}/v1.0/me/todo/lists`,
      `  ${ca ? `NODE_EXTRA_CA_CERTS=${ca} ` : ""}${run} upload <file> --task "First task" --create${baseUrl} --token "$TOKEN"`,
    );
  } else {
    lines.push(`Tokens come from ${config.auth.issuer} (audience ${config.auth.audience}).`);
  }
  if (o.page) lines.push(`Web page: ${config.publicUrl ?? url}/`);
  if (o.notice) lines.push(`Warning: ${o.notice}`);
  lines.push(`Health: ${url}/_taskdrop/health · Stop with Ctrl-C`);
  return lines.join("\n") + "\n";
}

const relativeIfShorter = (p: string) => {
  const r = relative(process.cwd(), p);
  return r.length < p.length && !r.startsWith("..") ? r : p;
};

export function registerServe(program: Command): void {
  const cmd = program
    .command("serve")
    .description("serve the Graph To Do API (embedded store in ./data unless told otherwise)");
  addServerOptions(cmd).action(async (opts: Record<string, unknown>) => {
    try {
      const config = configFrom(opts);
      // Fail on an unusable data directory or certificate before loading the rest of the server
      // (SQLite, Fastify, PostgreSQL): a mistake is answered in a fraction of the time.
      if (config.tlsCert && config.tlsKey) await (await import("../tls/index.js")).loadUserCertificate(config.tlsCert, config.tlsKey);
      if (config.store === "sqlite") ensureDataDir(config.dataDir);
      const [{ startServer }, { createLogger }] = await Promise.all([import("../server.js"), import("../log.js")]);
      const log = createLogger(config.logLevel, await logDestination(config.logFormat));
      const server = await startServer(config, { log });
      const hostNotice = ignoredHostNotice(config);
      if (hostNotice) server.deps.log.warn({ event: "host_env_ignored" }, hostNotice);
      const withdraw = announce({ url: server.url, dataDir: config.dataDir, store: config.store, auth: config.auth.mode });
      const page = server.app.hasRoute({ method: "GET", url: "/" });
      process.stderr.write(banner(config, server.url, { ...(server.tls?.caFile ? { caFile: server.tls.caFile } : {}), page, ...(hostNotice ? { notice: hostNotice } : {}) }));
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        withdraw();
        server.deps.log.info({ event: "shutdown", signal }, "shutting down");
        server.close().then(
          () => process.exit(0),
          (e) => fail(e),
        );
      };
      process.on("SIGTERM", () => stop("SIGTERM"));
      process.on("SIGINT", () => stop("SIGINT"));
    } catch (e) {
      fail(e);
    }
  });
}
