// What the client commands share: connection options (base URL, token, or a development token
// minted from a local server's data directory), exit codes, error reporting, and finding lists,
// tasks and attachments by name or id.
import { Command, Option } from "commander";
import { invocation, shellQuote } from "../invocation.js";
import { existingSigningKey, mintToken } from "../../auth/dev-issuer.js";
import { locate, type Located } from "../locate.js";
import {
  GraphRequestError,
  NetworkError,
  SourceChangedError,
  TaskdropClient,
  TaskdropError,
  VerificationError,
  isAbortError,
  odataString,
  type TaskFileAttachment,
  type TodoTask,
  type TodoTaskList,
} from "../../client/index.js";

export const DEFAULT_BASE_URL = "http://127.0.0.1:8080/v1.0";

/** Exit codes scripts can rely on (also in every command's --help and the README). */
export const EXIT = {
  ok: 0,
  /** Unexpected failure (a bug): the message has the details. */
  internal: 1,
  /** Bad arguments or configuration: unknown option, missing token, ambiguous name, file exists. */
  usage: 2,
  /** Not found: local file, list, task or attachment. */
  notFound: 3,
  /** Authentication or permission refused (401, 403). */
  auth: 4,
  /** The server refused the request as given (other 4xx, e.g. a file over 25 MiB). */
  refused: 5,
  /** Network errors, timeouts, 5xx or 429 persisted after retries: running again resumes. */
  unavailable: 6,
  /** The file changed since its interrupted upload (resume refused; --restart starts over). */
  changed: 7,
  /** A download's length or SHA-256 did not match. */
  verification: 8,
  /** Interrupted (Ctrl-C): uploads keep their session; the same command resumes. */
  interrupted: 130,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0    success
  1    unexpected failure (a bug; the message has the details)
  2    bad arguments or configuration (unknown option, no token, ambiguous name, file exists)
  3    not found (local file, list, task or attachment)
  4    authentication or permission refused (HTTP 401/403)
  5    refused by the server as given (other 4xx, e.g. a file over 25 MiB)
  6    network, timeout, 5xx or 429 still failing after retries (run again to resume)
  7    the file changed since its interrupted upload (--restart starts over)
  8    downloaded bytes did not match the declared length or SHA-256
  130  interrupted (Ctrl-C); an upload can be resumed by running the same command again`;

/** An error meant for the user: one line and a chosen exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export function exitCodeOf(e: unknown): number {
  if (e instanceof CliError) return e.exitCode;
  if (isAbortError(e)) return EXIT.interrupted;
  if (e instanceof SourceChangedError) return EXIT.changed;
  if (e instanceof VerificationError) return EXIT.verification;
  if (e instanceof NetworkError) return EXIT.unavailable;
  if (e instanceof GraphRequestError) {
    if (e.status === 401 || e.status === 403) return EXIT.auth;
    if (e.status === 404) return EXIT.notFound;
    if (e.status === 429 || e.status >= 500) return EXIT.unavailable;
    return EXIT.refused;
  }
  if (e instanceof TaskdropError) {
    const byCode: Record<string, number> = {
      fileNotFound: EXIT.notFound,
      notAFile: EXIT.notFound,
      fileExists: EXIT.usage,
      badChunkSize: EXIT.usage,
      badRate: EXIT.usage,
      badBaseUrl: EXIT.usage,
      tooLarge: EXIT.refused,
      sessionGone: EXIT.unavailable,
      timeout: EXIT.unavailable,
    };
    return byCode[e.code] ?? EXIT.internal;
  }
  return EXIT.internal;
}

/** One line for the user; a stack only for what we did not expect. */
export function describeError(e: unknown): string {
  const code = exitCodeOf(e);
  if (code === EXIT.internal && !(e instanceof TaskdropError)) return (e as Error)?.stack ?? String(e);
  if (e instanceof NetworkError && e.refused) return unreachableMessage(e.url);
  let msg = (e as Error)?.message ?? String(e);
  if (e instanceof GraphRequestError) {
    if (e.status === 401) msg += "\n  (check --token / TASKDROP_TOKEN, or that --data-dir is the server's data directory)";
    if (e.requestId) msg += ` [request-id ${e.requestId}]`;
  }
  return msg;
}

export function failWith(e: unknown): never {
  process.stderr.write(`taskdrop: ${describeError(e)}\n`);
  process.exit(exitCodeOf(e));
}

export interface ConnectionOptions {
  /** Undefined when neither --base-url nor TASKDROP_BASE_URL was given. */
  baseUrl?: string;
  token?: string;
  user: string;
  dataDir?: string;
  retries?: string;
  json?: boolean;
}

/**
 * A client command: its own options (added by `build`), then the connection options every client
 * command takes. (Whatever commander refuses exits with code 2: see program.ts.)
 */
export function clientCommand(program: Command, name: string, description: string, build: (cmd: Command) => void): Command {
  const cmd = program.command(name).description(description);
  build(cmd);
  cmd
    .addOption(
      new Option("--base-url <url>", `service root with version: a Taskdrop server or https://graph.microsoft.com/v1.0 (default: the running server using ./data, else the only one running, else ${DEFAULT_BASE_URL})`).env("TASKDROP_BASE_URL"),
    )
    .addOption(new Option("--token <jwt>", "bearer token (default: a development token minted with the server's signing key)").env("TASKDROP_TOKEN"))
    .addOption(new Option("--user <name>", "user to mint the development token for when no --token is given").default("alice"))
    .addOption(new Option("--data-dir <dir>", "data directory of the Taskdrop server, for its signing key (default: the server's, else ./data)").env("TASKDROP_DATA_DIR"))
    .addOption(new Option("--retries <n>", "retries after failures without progress").default("6"))
    .option("--json", "machine-readable output (JSON; one event per line for transfers)");
  return cmd;
}

/** Whether connect()'s clients print their retries (off while progress bars own the terminal). */
export const retryNotes = { enabled: true };

async function tokenFor(o: ConnectionOptions, at: Located): Promise<string> {
  if (o.token) return o.token;
  const host = new URL(at.baseUrl).hostname;
  if (host.endsWith("graph.microsoft.com")) throw new CliError("no token: pass --token (or set TASKDROP_TOKEN)", EXIT.usage);
  if (at.server?.store === "postgres") {
    throw new CliError(`no token: the server at ${at.server.url} keeps its signing key in PostgreSQL; pass --token "$(${invocation()} token --store postgres --database-url …)"`, EXIT.usage);
  }
  // Reading the key only: never create one, or the server would not know the token.
  const key = await existingSigningKey(at.dataDir);
  if (!key) {
    throw new CliError(
      `no token: pass --token (or set TASKDROP_TOKEN); for a local Taskdrop server, point --data-dir at its data directory ` +
        `(no signing key in ${at.dataDir}, and no running server found; start one with \`${invocation()} serve\`)`,
      EXIT.usage,
    );
  }
  return mintToken(key, { user: o.user });
}

/** One line for a server that is not there, instead of retrying a refused connection for a minute. */
export function unreachableMessage(baseUrl: string): string {
  return `no Taskdrop server at ${new URL(baseUrl).origin}: start one with \`${invocation()} serve\`, or point --base-url (TASKDROP_BASE_URL) at yours`;
}

export async function connect(o: ConnectionOptions): Promise<TaskdropClient> {
  if (o.baseUrl !== undefined) {
    try {
      new URL(o.baseUrl);
    } catch {
      throw new CliError(`--base-url must be an absolute URL such as ${DEFAULT_BASE_URL}, got "${o.baseUrl}"`, EXIT.usage);
    }
  }
  const retries = Number(o.retries ?? 6);
  if (!Number.isInteger(retries) || retries < 0 || retries > 100) throw new CliError(`--retries must be a whole number from 0 to 100, got "${o.retries}"`, EXIT.usage);
  let at: Located;
  try {
    at = locate({ ...(o.baseUrl !== undefined ? { baseUrl: o.baseUrl } : {}), ...(o.dataDir !== undefined ? { dataDir: o.dataDir } : {}) });
  } catch (e) {
    throw new CliError((e as Error).message, EXIT.usage);
  }
  return new TaskdropClient({
    baseUrl: at.baseUrl,
    token: await tokenFor(o, at),
    retry: { retries, failFastIfUnreachable: true },
    headers: { "user-agent": "taskdrop-cli" },
    onRetry: (e) => {
      // Say why we are waiting (a server that stops answering otherwise looks like a hang);
      // transfers report their own retries beside their progress.
      if (!retryNotes.enabled || o.json) return;
      const why = e.status ?? describeError(e.error).replace(/^\S+ \S+ failed: /, "");
      process.stderr.write(`taskdrop: ${e.method} ${new URL(e.url).pathname}: ${why}; retry ${e.attempt}/${retries} in ${(e.delayMs / 1000).toFixed(1)}s\n`);
    },
  });
}

/** "4M", "512K", "1.5MiB", "1048576" → bytes (K, M, G are powers of 1024). */
export function parseBytes(flag: string, v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?\s*$/i.exec(v);
  if (!m) throw new CliError(`${flag} must be a size like 4M, 512K or 1048576, got "${v}"`, EXIT.usage);
  const mult = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as "" | "k" | "m" | "g"];
  const n = Math.floor(Number(m[1]) * mult);
  if (n < 1) throw new CliError(`${flag} must be at least 1 byte`, EXIT.usage);
  return n;
}

function pickOne<T>(kind: string, spec: string, hits: T[], describe: (x: T) => string): T | undefined {
  if (hits.length > 1) throw new CliError(`${kind} "${spec}" is ambiguous; use an id:\n${hits.map((h) => `  ${describe(h)}`).join("\n")}`, EXIT.usage);
  return hits[0];
}

/** A list by id or display name; the default list ("Tasks") when none is named. */
export async function findList(client: TaskdropClient, spec: string | undefined): Promise<TodoTaskList> {
  const lists = await client.lists.list();
  if (spec === undefined) {
    const def = lists.find((l) => l.wellknownListName === "defaultList");
    if (!def) throw new CliError("there is no default list; name one with --list", EXIT.notFound);
    return def;
  }
  const show = (l: TodoTaskList) => `${l.displayName}  ${l.id}`;
  const hit =
    lists.find((l) => l.id === spec) ??
    pickOne("list", spec, lists.filter((l) => l.displayName === spec), show) ??
    pickOne("list", spec, lists.filter((l) => l.displayName.toLowerCase() === spec.toLowerCase()), show);
  if (!hit) throw new CliError(`no list "${spec}" (lists: ${lists.map((l) => l.displayName).join(", ") || "none"})`, EXIT.notFound);
  return hit;
}

async function taskById(client: TaskdropClient, listId: string, id: string): Promise<TodoTask | undefined> {
  try {
    return await client.tasks.get(listId, id);
  } catch (e) {
    if (e instanceof GraphRequestError && (e.status === 404 || e.status === 400)) return undefined;
    throw e;
  }
}

/** Tasks of one list matching an id or a title (exact first, then case-insensitive). */
async function matchTasks(client: TaskdropClient, list: TodoTaskList, spec: string): Promise<TodoTask[]> {
  const byId = await taskById(client, list.id, spec);
  if (byId) return [byId];
  const exact = await client.tasks.list(list.id, { filter: `title eq ${odataString(spec)}` });
  if (exact.length) return exact;
  return (await client.tasks.list(list.id)).filter((t) => t.title.toLowerCase() === spec.toLowerCase());
}

/**
 * A task by id or title, in the named list, or (when no list is named) in any list, the default
 * list first. With `create`, a missing task is created in the named (or default) list.
 */
export async function findTask(client: TaskdropClient, listSpec: string | undefined, spec: string, o: { create?: boolean } = {}): Promise<{ list: TodoTaskList; task: TodoTask }> {
  const lists = listSpec !== undefined ? [await findList(client, listSpec)] : await client.lists.list();
  lists.sort((a, b) => Number(b.wellknownListName === "defaultList") - Number(a.wellknownListName === "defaultList"));
  const hits: { list: TodoTaskList; task: TodoTask }[] = [];
  for (const list of lists) for (const task of await matchTasks(client, list, spec)) hits.push({ list, task });
  const hit = pickOne("task", spec, hits, (h) => `${h.task.title} (list ${h.list.displayName})  ${h.task.id}`);
  if (hit) return hit;
  if (o.create) {
    const list = listSpec !== undefined ? lists[0]! : await findList(client, undefined);
    return { list, task: await client.tasks.create(list.id, { title: spec }) };
  }
  const where = listSpec !== undefined ? `list "${lists[0]!.displayName}"` : "any list";
  throw new CliError(`no task "${spec}" in ${where}${o.create === false ? " (add --create to create it)" : ""}`, EXIT.notFound);
}

export async function findAttachment(client: TaskdropClient, list: TodoTaskList, task: TodoTask, spec: string): Promise<TaskFileAttachment> {
  const all = await client.attachments.list(list.id, task.id);
  const hit =
    all.find((a) => a.id === spec) ??
    pickOne("attachment", spec, all.filter((a) => a.name === spec), (a) => `${a.name} (${a.size} bytes)  ${a.id}`) ??
    pickOne("attachment", spec, all.filter((a) => a.name.toLowerCase() === spec.toLowerCase()), (a) => `${a.name} (${a.size} bytes)  ${a.id}`);
  if (!hit) throw new CliError(`no attachment "${spec}" on task "${task.title}" (attachments: ${all.map((a) => a.name).join(", ") || "none"})`, EXIT.notFound);
  return hit;
}

// ---- formatting ---------------------------------------------------------------------------------

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** A plain table: padded columns, a header row, no borders (easy to read and to grep). */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}

/** The command line as typed, quoted for a POSIX shell and runnable from here, for "run this to continue". */
export function commandLine(args: string[]): string {
  return [invocation(), ...args.map(shellQuote)].join(" ");
}
