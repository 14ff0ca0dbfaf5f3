import { Option, type Command } from "commander";
import { fileSigningKey, mintToken } from "../auth/dev-issuer.js";
import { devSigningKey } from "../server.js";
import { openStore } from "../store/open-store.js";
import { addServerOptions, configFrom, fail } from "./common.js";

const list = (v: string) => v.split(/[ ,]+/).filter(Boolean);

export function registerToken(program: Command): void {
  const cmd = program
    .command("token")
    .description("print a development bearer token that a Taskdrop server using the same data directory (or database) accepts")
    .addOption(new Option("--user <name>", "delegated token for this user name or UPN (users are created on first use)").default("alice"))
    .addOption(new Option("--scopes <list>", "delegated scopes, space- or comma-separated").default("Tasks.ReadWrite"))
    .addOption(new Option("--app <name>", "app-only token for this application instead of a user"))
    .addOption(new Option("--roles <list>", "app-only roles").default("Tasks.ReadWrite.All"))
    .addOption(new Option("--expires-in <seconds>", "lifetime in seconds").default("86400"));
  addServerOptions(cmd, ["dataDir", "store", "databaseUrl"]).action(async (opts: Record<string, unknown>) => {
    try {
      const config = configFrom(opts);
      const expires = Number(opts.expiresIn);
      if (!Number.isInteger(expires) || expires < 1) throw Object.assign(new Error("--expires-in must be a positive whole number of seconds"), { userFacing: true });
      let key;
      if (config.store === "sqlite") key = await fileSigningKey(config.dataDir);
      else {
        const store = await openStore(config);
        try {
          key = await devSigningKey(config, store);
        } finally {
          await store.close();
        }
      }
      const token = await mintToken(key, {
        ...(opts.app ? { app: String(opts.app), roles: list(String(opts.roles)) } : { user: String(opts.user), scopes: list(String(opts.scopes)) }),
        expiresInSeconds: expires,
      });
      process.stdout.write(token + "\n");
    } catch (e) {
      fail(e);
    }
  });
}
