// The client commands beside `serve` and `token`: upload, download, ls. They talk to a Taskdrop
// server or to Microsoft Graph through taskdrop/client.
import type { Command } from "commander";
import { registerDownload } from "./commands/download.js";
import { registerLs } from "./commands/ls.js";
import { registerUpload } from "./commands/upload.js";

export function registerClientCommands(program: Command): void {
  registerUpload(program);
  registerDownload(program);
  registerLs(program);
}
