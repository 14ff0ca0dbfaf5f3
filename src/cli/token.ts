import { Option, type Command } from "commander";
import { existingSigningKey, mintToken, type SigningKey } from "../auth/dev-issuer.js";
import type { Config } from "../config.js";
import { addServerOptions, configFrom, fail } from "./common.js";
import { invocation } from "./invocation.js";
import { locate } from "./locate.js";

const list = (v: string) => v.split(/[ ,]+/).filter(Boolean);
const userError = (message: string) => Object.assign(new Error(message), { userFacing: true });

/**
 * The key of the server the token is for, never a new one: a token signed by a key made here would
 * be refused by every server with "Signature validation failed".
 */
async function serversKey(config: Config, dataDirGiven: boolean): Promise<SigningKey> {
  if (config.store === "postgres") {
    const [{ openStore }, { devSigningKey }] = await Promise.all([import("../store/open-store.js"), import("../server.js")]);
    const store = await openStore(config);
    try {
      return await devSigningKey(config, store);
    } finally {
      await store.close();
    }
  }
  const { dataDir, server } = locate({ ...(dataDirGiven ? { dataDir: config.dataDir } : {}) });
  if (server?.store === "postgres") {
    throw userError(`the server at ${server.url} keeps its signing key in PostgreSQL: add --store postgres --database-url <its database URL> (or TASKDROP_DATABASE_URL)`);
  }
  const key = await existingSigningKey(dataDir);
  if (key) return key;
  throw userError(
    `no signing key in ${dataDir}, and no Taskdrop server running. Start one with \`${invocation()} serve\`, ` +
      `or point --data-dir (TASKDROP_DATA_DIR) at the data directory of the server the token is for.`,
  );
}

export function registerToken(program: Command): void {
  const cmd = program
    .command("token")
    .description("print a development bearer token that the Taskdrop server next to you accepts (found by --data-dir, or among the running servers)")
    .addOption(new Option("--user <name>", "delegated token for this user name or UPN (users are created on first use)").default("alice"))
    .addOption(new Option("--scopes <list>", "delegated scopes, space- or comma-separated").default("Tasks.ReadWrite"))
    .addOption(new Option("--app <name>", "app-only token for this application instead of a user"))
    .addOption(new Option("--roles <list>", "app-only roles").default("Tasks.ReadWrite.All"))
    .addOption(new Option("--expires-in <seconds>", "lifetime in seconds").default("86400"));
  addServerOptions(cmd, ["dataDir", "store", "databaseUrl"]).action(async (opts: Record<string, unknown>) => {
    try {
      const config = configFrom(opts);
      const expires = Number(opts.expiresIn);
      if (!Number.isInteger(expires) || expires < 1) throw userError("--expires-in must be a positive whole number of seconds");
      const dataDirGiven = opts.dataDir !== undefined || !!process.env.TASKDROP_DATA_DIR;
      const key = await serversKey(config, dataDirGiven);
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
