// Shared pieces of the CLI's commands: server options with their environment variables, and
// failing with one clear line.
import { Command, Option } from "commander";
import { OPTIONS, loadConfig, optionEnvNames, optionFlag, type OptionName, type RawOptions } from "../config.js";

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
  // ConfigError, TlsConfigError, DataDirError, DataDirInUseError, …: checked by a property, so that
  // failing does not load the modules (SQLite, X.509) that define them.
  if ((e as { userFacing?: boolean } | undefined)?.userFacing) {
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

