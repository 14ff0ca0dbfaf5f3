// taskdrop upload <file...>: each file to a task through a resumable upload session, with a
// progress bar per file. Ctrl-C keeps the sessions; the same command continues them.
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { Option, type Command } from "commander";
import { isAbortError, type TaskdropClient, type TodoTask, type TodoTaskList, type UploadResult } from "../../client/index.js";
import { defaultStateDir, fileResumeStore } from "../../client/node.js";
import type { ResumeStore } from "../../client/resume.js";
import { makeReporter, type Reporter } from "./progress.js";
import {
  CliError,
  EXIT,
  EXIT_CODES_HELP,
  clientCommand,
  commandLine,
  connect,
  describeError,
  exitCodeOf,
  failWith,
  findTask,
  formatBytes,
  parseBytes,
  retryNotes,
  type ConnectionOptions,
} from "./shared.js";

interface UploadFlags extends ConnectionOptions {
  list?: string;
  task: string;
  create?: boolean;
  name?: string;
  contentType?: string;
  chunkSize: string;
  limitRate?: string;
  parallel: string;
  resume: boolean;
  restart?: boolean;
  cancel?: boolean;
  stateDir?: string;
}

export function registerUpload(program: Command): void {
  clientCommand(program, "upload", "upload files to a task as attachments (resumable; a progress bar per file)", (cmd) =>
    cmd
      .argument("<file...>", "files to attach (each at most 25 MiB)")
      .addOption(new Option("--list <name|id>", "list of the task (default: any list, the default list first)"))
      .requiredOption("--task <title|id>", "task to attach the files to")
      .option("--create", "create the task (in --list, or the default list) if there is none with that title")
      .option("--name <name>", "attachment name (one file only; default: the file's name)")
      .option("--content-type <type>", "content type (default: guessed from the extension, else application/octet-stream)")
      .addOption(new Option("--chunk-size <size>", "bytes per request, at most 4M (Graph's limit)").default("4M"))
      .option("--limit-rate <rate>", "pace each upload to about this many bytes per second (e.g. 2M)")
      .addOption(new Option("--parallel <n>", "files uploaded at the same time").default("1"))
      .option("--no-resume", "keep no resume record (an interrupted upload then starts over)")
      .option("--restart", "discard an interrupted upload of these files and start over")
      .option("--cancel", "do not upload: cancel the interrupted uploads of these files and forget them")
      .addOption(new Option("--state-dir <dir>", "where resume records are kept").env("TASKDROP_STATE_DIR")),
  )
    .addHelpText(
      "after",
      `
Examples:
  taskdrop upload report.pdf --task "Quarterly report" --create
  taskdrop upload a.zip b.zip --list Work --task AQMkT... --limit-rate 2M
  taskdrop upload big.bin --task Demo          # again after Ctrl-C: resumes where it stopped
  taskdrop upload big.bin --task Demo --cancel # or give up on it
${EXIT_CODES_HELP}`,
    )
    .action(async (files: string[], flags: UploadFlags) => {
      try {
        process.exitCode = await upload(files, flags);
      } catch (e) {
        failWith(e);
      }
    });
}

/** What every file's upload shares: where it goes, how it is sent, where progress is shown. */
interface Batch {
  client: TaskdropClient;
  list: TodoTaskList;
  task: TodoTask;
  flags: UploadFlags;
  chunkSize: number;
  rate?: number;
  store?: ResumeStore;
  reporter: Reporter;
  signal: AbortSignal;
}

type Outcome = { ok: true; r: UploadResult; seconds: number } | { ok: false; error: unknown; bytes: number };

async function upload(files: string[], flags: UploadFlags): Promise<number> {
  const { chunkSize, rate, parallel } = sendingFlags(files, flags);
  const sizes = await fileSizes(files);
  const client = await connect(flags);
  const stateDir = flags.stateDir ?? defaultStateDir();
  const store = flags.resume === false ? undefined : fileResumeStore(stateDir);
  const { list, task } = await findTask(client, flags.list, flags.task, { create: flags.create ?? false });

  if (flags.cancel) return cancel(client, files, flags, list, task, stateDir);

  const json = Boolean(flags.json);
  const reporter = makeReporter({ json, tty: Boolean(process.stderr.isTTY), labelWidth: Math.min(24, Math.max(...files.map((f) => basename(f).length))) });
  files.forEach((f, i) => reporter.add(f, basename(f), sizes[i]!));

  retryNotes.enabled = false;
  const interrupt = interruptOnSignals();
  const batch: Batch = { client, list, task, flags, chunkSize, ...(rate !== undefined ? { rate } : {}), ...(store ? { store } : {}), reporter, signal: interrupt.signal };
  const outcome = new Map<string, Outcome>();
  const queue = files.map((f, i) => ({ f, size: sizes[i]! }));
  const worker = async () => {
    for (let job = queue.shift(); job && !interrupt.signal.aborted; job = queue.shift()) outcome.set(job.f, await uploadOne(batch, job.f, job.size));
  };
  try {
    await Promise.all(Array.from({ length: Math.min(parallel, files.length) }, worker));
  } finally {
    reporter.stop();
    interrupt.dispose();
  }

  if (interrupt.signal.aborted) {
    if (!json) process.stderr.write(interruptedSummary(files.filter((f) => outcome.get(f)?.ok !== true).length, store !== undefined));
    return EXIT.interrupted;
  }
  const failed = files.map((f) => outcome.get(f)).find((o) => o && !o.ok) as { error: unknown } | undefined;
  return failed ? exitCodeOf(failed.error) : EXIT.ok;
}

/** The flags about sending, checked before anything is read or sent. */
function sendingFlags(files: string[], flags: UploadFlags): { chunkSize: number; rate?: number; parallel: number } {
  if (flags.name !== undefined && files.length !== 1) throw new CliError("--name needs exactly one file", EXIT.usage);
  if (flags.restart && flags.cancel) throw new CliError("--restart and --cancel exclude each other", EXIT.usage);
  const chunkSize = parseBytes("--chunk-size", flags.chunkSize);
  if (chunkSize > 4 * 1024 * 1024) throw new CliError("--chunk-size can be at most 4M (4194304 bytes), Graph's limit per request", EXIT.usage);
  const rate = flags.limitRate !== undefined ? parseBytes("--limit-rate", flags.limitRate) : undefined;
  const parallel = Number(flags.parallel);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 8) throw new CliError(`--parallel must be from 1 to 8, got "${flags.parallel}"`, EXIT.usage);
  return { chunkSize, ...(rate !== undefined ? { rate } : {}), parallel };
}

/** Missing files are found before anything is sent. */
async function fileSizes(files: string[]): Promise<number[]> {
  const sizes: number[] = [];
  for (const f of files) {
    const st = await stat(f).catch(() => undefined);
    if (!st) throw new CliError(`no such file: ${f}`, EXIT.notFound);
    if (!st.isFile()) throw new CliError(`not a file: ${f}`, EXIT.notFound);
    sizes.push(st.size);
  }
  return sizes;
}

/** The first Ctrl-C (or SIGTERM) stops the uploads and keeps their sessions; a second one exits at once. */
function interruptOnSignals(): { signal: AbortSignal; dispose(): void } {
  const ctl = new AbortController();
  const onSignal = () => {
    if (ctl.signal.aborted) process.exit(EXIT.interrupted);
    ctl.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: ctl.signal,
    dispose() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

async function uploadOne(b: Batch, f: string, size: number): Promise<Outcome> {
  const { flags, reporter, list, task } = b;
  let bytes = 0;
  const t0 = Date.now();
  try {
    const r = await b.client.uploadAttachment({
      listId: list.id,
      taskId: task.id,
      source: f,
      ...(flags.name !== undefined ? { name: flags.name } : {}),
      ...(flags.contentType !== undefined ? { contentType: flags.contentType } : {}),
      chunkSize: b.chunkSize,
      ...(b.rate !== undefined ? { maxBytesPerSecond: b.rate } : {}),
      signal: b.signal,
      resume: flags.resume === false ? false : flags.restart ? "restart" : true,
      ...(b.store ? { resumeStore: b.store } : {}),
      onProgress: (p) => {
        bytes = p.bytesUploaded;
        reporter.progress(f, p.bytesUploaded);
      },
      onRetry: (e) => reporter.note(f, `retrying in ${(e.delayMs / 1000).toFixed(1)}s after ${e.status ?? "a network error"}`),
    });
    const seconds = (Date.now() - t0) / 1000;
    reportUploaded(b, f, r, seconds);
    return { ok: true, r, seconds };
  } catch (error) {
    reportFailed(b, f, error, bytes, size);
    return { ok: false, error, bytes };
  }
}

function reportUploaded(b: Batch, f: string, r: UploadResult, seconds: number): void {
  const { list, task } = b;
  const resumed = r.resumedFrom > 0 ? `, resumed from ${formatBytes(r.resumedFrom)}` : "";
  b.reporter.finish(f, `Uploaded ${f} (${formatBytes(r.size)}${resumed}) to "${task.title}" in list "${list.displayName}": attachment ${r.attachmentId}`, {
    event: "uploaded",
    file: f,
    attachmentId: r.attachmentId,
    name: r.name,
    size: r.size,
    contentType: r.contentType,
    resumedFrom: r.resumedFrom,
    seconds,
    listId: list.id,
    taskId: task.id,
  });
}

/** Ctrl-C (resumable: the line to continue) or a failure (its exit code). */
function reportFailed(b: Batch, f: string, error: unknown, bytes: number, size: number): void {
  if (isAbortError(error)) {
    b.reporter.fail(f, `${f}: interrupted after ${formatBytes(bytes)} of ${formatBytes(size)} had been acknowledged`, {
      event: "interrupted",
      file: f,
      bytes,
      total: size,
      resumable: b.store !== undefined,
      ...(b.store ? { resume: commandLine(process.argv.slice(2)) } : {}),
    });
  } else {
    b.reporter.fail(f, `taskdrop: ${f}: ${describeError(error)}`, { event: "failed", file: f, error: describeError(error), code: (error as { code?: string }).code, exitCode: exitCodeOf(error) });
  }
}

/** After Ctrl-C: how many are left, and the commands that continue or discard them. */
function interruptedSummary(left: number, resumable: boolean): string {
  if (!resumable) return "Interrupted (--no-resume: the uploads will start over).\n";
  const args = process.argv.slice(2);
  return (
    `Interrupted. ${left} upload(s) not finished; what reached the server is kept.\n` +
    `Continue with:  ${commandLine(args)}\n` +
    `Or discard with: ${commandLine([...args.filter((a) => a !== "--restart"), "--cancel"])}\n`
  );
}

async function cancel(client: TaskdropClient, files: string[], flags: UploadFlags, list: TodoTaskList, task: TodoTask, stateDir: string): Promise<number> {
  for (const f of files) {
    const had = await client.cancelUpload({ listId: list.id, taskId: task.id, source: f, ...(flags.name ? { name: flags.name } : {}), stateDir });
    const line = had ? `Cancelled the interrupted upload of ${f}.` : `No interrupted upload of ${f} to "${task.title}" to cancel.`;
    process.stdout.write(flags.json ? JSON.stringify({ event: "cancelled", file: f, cancelled: had }) + "\n" : line + "\n");
  }
  return EXIT.ok;
}
