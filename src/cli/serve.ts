import { resolve } from "node:path";
import type { Command } from "commander";
import { startServer } from "../server.js";
import { ignoredHostNotice } from "../config.js";
import { addServerOptions, configFrom, fail } from "./common.js";

export function registerServe(program: Command): void {
  const cmd = program
    .command("serve")
    .description("serve the Graph To Do API (embedded store in ./data unless told otherwise)");
  addServerOptions(cmd).action(async (opts: Record<string, unknown>) => {
    try {
      const config = configFrom(opts);
      const server = await startServer(config);
      const hostNotice = ignoredHostNotice(config);
      if (hostNotice) server.deps.log.warn({ event: "host_env_ignored" }, hostNotice);
      const lines = [
        `Taskdrop serving ${server.url} (store: ${config.store}${config.store === "sqlite" ? `, data: ${config.dataDir}` : ""})`,
        `Web page: ${config.publicUrl ?? server.url}/`,
      ];
      if (server.tls?.caFile) {
        lines.push(`Development CA: ${server.tls.caFile}`, `Trust it in Node clients with: NODE_EXTRA_CA_CERTS=${server.tls.caFile}`);
      }
      if (config.auth.mode === "dev") {
        // The token command must find the same signing key: the data directory, or the database.
        const where =
          config.store === "postgres"
            ? " --store postgres --database-url <the same URL>"
            : config.dataDir !== resolve("data")
              ? ` --data-dir ${config.dataDir}`
              : "";
        lines.push(`Get a token with: taskdrop token --user alice${where}`);
      }
      if (hostNotice) lines.push(`Warning: ${hostNotice}`);
      process.stderr.write(lines.join("\n") + "\n");
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
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
