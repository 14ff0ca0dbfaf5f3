// taskdrop ls [lists|tasks|attachments|steps|links|uploads]: readable tables, or JSON with --json.
import { Option, type Command } from "commander";
import { defaultStateDir, fileResumeStore } from "../../client/node.js";
import { CliError, EXIT, EXIT_CODES_HELP, clientCommand, connect, failWith, findList, findTask, formatBytes, table, type ConnectionOptions } from "./shared.js";

interface LsFlags extends ConnectionOptions {
  list?: string;
  task?: string;
  stateDir?: string;
}

const WHAT = ["lists", "tasks", "attachments", "steps", "links", "uploads"] as const;

export function registerLs(program: Command): void {
  clientCommand(program, "ls", "list lists, tasks of a list, attachments, steps or links of a task, or interrupted uploads", (cmd) =>
    cmd
      .argument("[what]", `${WHAT.join(", ")} (default lists)`)
      .addOption(new Option("--list <name|id>", "the list (tasks: default list; attachments: any list)"))
      .addOption(new Option("--task <title|id>", "the task, for attachments, steps and links"))
      .addOption(new Option("--state-dir <dir>", "where resume records are kept (for uploads)").env("TASKDROP_STATE_DIR")),
  )
    .addHelpText(
      "after",
      `
What:
  lists         your To Do lists (default)
  tasks         tasks of --list (default: the default list)
  attachments   attachments of --task (in --list, or any list)
  steps         steps (checklistItems) of --task
  links         linked resources of --task
  uploads       interrupted uploads that can be resumed (from the local state directory)

Examples:
  taskdrop ls
  taskdrop ls tasks --list Work
  taskdrop ls attachments --task "Quarterly report" --json
  taskdrop ls steps --task "Trip"
${EXIT_CODES_HELP}`,
    )
    .action(async (what: string | undefined, flags: LsFlags) => {
      try {
        process.exitCode = await ls(what ?? "lists", flags);
      } catch (e) {
        failWith(e);
      }
    });
}

function print(flags: LsFlags, items: unknown[], headers: string[], rows: string[][], empty: string): void {
  if (flags.json) process.stdout.write(JSON.stringify(items, null, 2) + "\n");
  else process.stdout.write(rows.length ? table(headers, rows) : empty + "\n");
}

async function ls(what: string, flags: LsFlags): Promise<number> {
  if (!(WHAT as readonly string[]).includes(what)) throw new CliError(`ls takes one of ${WHAT.join(", ")}; got "${what}"`, EXIT.usage);
  if (what === "uploads") {
    const store = fileResumeStore(flags.stateDir ?? defaultStateDir());
    const recs = (await store.list()).filter((r) => !r.expirationDateTime || Date.parse(r.expirationDateTime) > Date.now());
    // The upload URL is a capability: never printed.
    const items = recs.map(({ uploadUrl: _u, ...r }) => r);
    print(
      flags,
      items,
      ["FILE", "SIZE", "NAME", "EXPIRES", "TASK"],
      recs.map((r) => [r.source.path ?? "-", formatBytes(r.size), r.name, r.expirationDateTime ?? "-", r.taskId]),
      "No interrupted uploads.",
    );
    return EXIT.ok;
  }
  const client = await connect(flags);
  if (what === "lists") {
    const lists = await client.lists.list();
    print(
      flags,
      lists,
      ["NAME", "KIND", "ID"],
      lists.map((l) => [l.displayName, l.wellknownListName === "defaultList" ? "default" : l.isShared ? "shared" : "", l.id]),
      "No lists.",
    );
  } else if (what === "tasks") {
    const list = await findList(client, flags.list);
    const tasks = await client.tasks.list(list.id);
    print(
      flags,
      tasks,
      ["TITLE", "STATUS", "FILES", "DUE", "ID"],
      tasks.map((t) => [t.title, t.status ?? "", t.hasAttachments ? "yes" : "", t.dueDateTime?.dateTime.slice(0, 10) ?? "", t.id]),
      `No tasks in "${list.displayName}".`,
    );
  } else {
    if (!flags.task) throw new CliError(`ls ${what} needs --task <title|id>`, EXIT.usage);
    const { list, task } = await findTask(client, flags.list, flags.task);
    if (what === "steps") {
      const steps = await client.checklistItems.list(list.id, task.id);
      print(flags, steps, ["DONE", "STEP", "ID"], steps.map((c) => [c.isChecked ? "x" : "", c.displayName, c.id]), `No steps on "${task.title}".`);
      return EXIT.ok;
    }
    if (what === "links") {
      const links = await client.linkedResources.list(list.id, task.id);
      print(flags, links, ["NAME", "APP", "URL", "ID"], links.map((l) => [l.displayName ?? "", l.applicationName ?? "", l.webUrl ?? "", l.id]), `No links on "${task.title}".`);
      return EXIT.ok;
    }
    const atts = await client.attachments.list(list.id, task.id);
    print(
      flags,
      atts,
      ["NAME", "SIZE", "TYPE", "MODIFIED", "ID"],
      atts.map((a) => [a.name, formatBytes(a.size), a.contentType ?? "", (a.lastModifiedDateTime ?? "").replace(/\.\d+/, "").replace("T", " "), a.id]),
      `No attachments on "${task.title}".`,
    );
  }
  return EXIT.ok;
}
