// The `taskdrop` command: serve, token, and the client commands beside them.
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { registerClientCommands } from "./client-commands.js";
import { fail } from "./common.js";
import { invocation } from "./invocation.js";
import { registerServe } from "./serve.js";
import { registerToken } from "./token.js";

const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };

const program = new Command("taskdrop")
  .description("Microsoft Graph To Do task attachments with resumable upload sessions: server, client and tools.")
  .version(pkg.version, "-V, --version", "print the version");
registerServe(program);
registerToken(program);
registerClientCommands(program);

// A mistake is one line and a pointer to the help, not the whole help scrolling the error away;
// everything commander refuses is a usage error (exit code 2), --help and --version are not.
const run = invocation();
for (const cmd of [program, ...program.commands]) {
  const name = cmd === program ? "" : ` ${cmd.name()}`;
  cmd.showHelpAfterError(`Run '${run}${name} --help' for the options.`);
  cmd.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
}

program.parseAsync(process.argv).catch(fail);
