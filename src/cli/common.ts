// Shared pieces of the CLI's commands: server options with their environment variables, and
// failing with one clear line.
import { Command, Option } from "commander";
import { ConfigError, OPTIONS, loadConfig, optionEnvNames, optionFlag, type OptionName, type RawOptions } from "../config.js";
import { DataDirInUseError } from "../store/sqlite/dir-lock.js";
import { TlsConfigError } from "../tls/index.js";

const BOOLEAN: ReadonlySet<OptionName> = new Set(["https", "trustProxy"]);

/** Adds every server option, named after the configuration key, with its environment variable in the help. */
export function addServerOptions(cmd: Command, only?: OptionName[]): Command {
  for (const [name, o] of Object.entries(OPTIONS) as [OptionName, (typeof OPTIONS)[OptionName]][]) {
    if (only && !only.includes(name)) continue;
    const flag = BOOLEAN.has(name) ? optionFlag(name) : `${optionFlag(name)} <value>`;
    const env = optionEnvNames(name).join(" or ");
    cmd.addOption(new Option(flag, `${o.help} (env ${env}${o.def && !BOOLEAN.has(name) ? `; default ${o.def}` : ""})`));
  }
  return cmd;
}

export function configFrom(opts: Record<string, unknown>) {
  const raw: RawOptions = {};
  for (const name of Object.keys(OPTIONS) as OptionName[]) {
    const v = opts[name];
    if (v !== undefined) raw[name] = v as string | boolean;
  }
  return loadConfig(raw);
}

/** Problems the user can fix are one clear line and a non-zero exit, never a stack trace. */
export function fail(e: unknown): never {
  if (e instanceof ConfigError || e instanceof TlsConfigError || e instanceof DataDirInUseError || (e as { userFacing?: boolean }).userFacing) {
    process.stderr.write(`taskdrop: ${(e as Error).message}\n`);
    process.exit(2);
  }
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
    process.stderr.write(`taskdrop: cannot listen: ${(e as Error).message}\n`);
    process.exit(2);
  }
  process.stderr.write(`taskdrop: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
}

