// The `taskdrop` command: serve, token, and the client commands beside them.
import { Command } from "commander";
import { registerClientCommands } from "./client-commands.js";
import { fail } from "./common.js";
import { registerServe } from "./serve.js";
import { registerToken } from "./token.js";

const program = new Command("taskdrop")
  .description("Microsoft Graph To Do task attachments with resumable upload sessions: server, client and tools.")
  .showHelpAfterError();
registerServe(program);
registerToken(program);
registerClientCommands(program);

program.parseAsync(process.argv).catch(fail);
