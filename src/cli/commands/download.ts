// taskdrop download <task> <attachment>: an attachment's bytes to a file (or stdout), checked
// against the length and SHA-256 the server declares.
import { basename, resolve } from "node:path";
import { Option, type Command } from "commander";
import { makeReporter } from "./progress.js";
import { CliError, EXIT, EXIT_CODES_HELP, clientCommand, connect, failWith, findAttachment, findTask, formatBytes, retryNotes, type ConnectionOptions } from "./shared.js";

interface DownloadFlags extends ConnectionOptions {
  list?: string;
  output?: string;
  force?: boolean;
}

export function registerDownload(program: Command): void {
  clientCommand(program, "download", "download a task's attachment to a file (or stdout), verifying its length", (cmd) =>
    cmd
      .argument("<task>", "task title or id")
      .argument("<attachment>", "attachment name or id")
      .addOption(new Option("--list <name|id>", "list of the task (default: any list, the default list first)"))
      .option("-o, --output <file>", "where to write (default: the attachment's name in the current directory; - for stdout)")
      .option("-f, --force", "overwrite an existing file"),
  )
    .addHelpText(
      "after",
      `
Examples:
  taskdrop download "Quarterly report" report.pdf
  taskdrop download Demo big.bin -o /tmp/copy.bin --force
  taskdrop download Demo notes.txt -o - | less
${EXIT_CODES_HELP}`,
    )
    .action(async (taskSpec: string, attSpec: string, flags: DownloadFlags) => {
      try {
        process.exitCode = await download(taskSpec, attSpec, flags);
      } catch (e) {
        failWith(e);
      }
    });
}

async function download(taskSpec: string, attSpec: string, flags: DownloadFlags): Promise<number> {
  const client = await connect(flags);
  const { list, task } = await findTask(client, flags.list, taskSpec);
  const att = await findAttachment(client, list, task, attSpec);
  const toStdout = flags.output === "-";
  // The attachment's name is not trusted as a path: only its last segment is used.
  const out = toStdout ? undefined : resolve(flags.output ?? (basename(att.name.replace(/\\/g, "/")) || "attachment"));
  const json = Boolean(flags.json);
  const reporter = toStdout ? undefined : makeReporter({ json, tty: Boolean(process.stderr.isTTY), labelWidth: Math.min(24, att.name.length) });
  reporter?.add(att.id, att.name, att.size);
  if (reporter) retryNotes.enabled = false;
  const ctl = new AbortController();
  const onSignal = () => ctl.abort();
  process.once("SIGINT", onSignal);
  try {
    const r = await client.downloadAttachment({
      listId: list.id,
      taskId: task.id,
      attachmentId: att.id,
      to: out ?? process.stdout,
      end: false,
      overwrite: Boolean(flags.force),
      signal: ctl.signal,
      onProgress: (p) => reporter?.progress(att.id, p.bytesReceived),
      onRetry: (e) => reporter?.note(att.id, `retrying in ${(e.delayMs / 1000).toFixed(1)}s`),
    });
    const checked = r.hashVerified ? "length and SHA-256 verified" : "length verified";
    reporter?.finish(att.id, `Downloaded ${att.name} (${formatBytes(r.bytes)}, ${checked}) to ${r.path}`, {
      event: "downloaded",
      attachmentId: att.id,
      name: att.name,
      path: r.path,
      bytes: r.bytes,
      sha256: r.sha256,
      hashVerified: r.hashVerified,
    });
    return EXIT.ok;
  } catch (e) {
    if ((e as { code?: string }).code === "fileExists") throw new CliError(`${out} exists; use --force to overwrite it or -o to choose another name`, EXIT.usage);
    throw e;
  } finally {
    reporter?.stop();
    process.off("SIGINT", onSignal);
  }
}
