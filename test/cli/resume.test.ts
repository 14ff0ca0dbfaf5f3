// Ctrl-C during `taskdrop upload` leaves a resumable upload and says how to continue; the same
// command finishes it; a changed file exits 7; --cancel discards; the progress bar on a terminal.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { TaskdropClient } from "../../src/client/index.js";
import type { TestServer } from "../helpers/server.js";
import { MiB, sha } from "../client/support.js";
import { detectInvocation } from "../../src/cli/invocation.js";
import { CLI } from "../helpers/cli.js";
import { waitFor } from "../helpers/wait.js";
import { run, startCliWorld, stopCliWorld, start } from "./run.js";

let s: TestServer;
let dir: string;
let env: NodeJS.ProcessEnv;
let api: TaskdropClient;
before(async () => ({ s, dir, env, api } = await startCliWorld("taskdrop-cli-resume-")));
after(() => stopCliWorld({ s, dir }));

/** Starts a paced upload and sends SIGINT once the server has acknowledged some of it. */
async function interrupt(args: string[]) {
  const p = start(args, { env });
  await waitFor("a progress line past 1 MiB", () => /: [1-9][\d.]* MiB \//.test(p.err()));
  p.child.kill("SIGINT");
  return p.done;
}

/** A task of the default list by title: [listId, taskId]. */
async function defaultListTask(title: string): Promise<[string, string]> {
  const list = (await api.lists.list()).find((l) => l.wellknownListName === "defaultList")!;
  const [t] = await api.tasks.list(list.id, { filter: `title eq '${title}'` });
  return [list.id, t!.id];
}

async function attachmentBytes(task: string, name: string): Promise<Buffer> {
  const [listId, taskId] = await defaultListTask(task);
  const a = (await api.attachments.list(listId, taskId)).find((x) => x.name === name)!;
  return Buffer.from(await (await api.attachments.content(listId, taskId, a.id)).arrayBuffer());
}

test("Ctrl-C leaves a resumable upload and says how to continue; the same command finishes it", async () => {
  const data = randomBytes(8 * MiB);
  const f = join(dir, "movie.bin");
  writeFileSync(f, data);
  const args = ["upload", f, "--task", "Resume me", "--create", "--limit-rate", "2M"];
  const r = await interrupt(args);
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, /movie\.bin: interrupted after [\d.]+ MiB of 8\.0 MiB had been acknowledged/);
  assert.match(r.stderr, /Interrupted\. 1 upload\(s\) not finished; what reached the server is kept\./);
  // The hint is a command that runs from where the user is: here (the checkout) `npx taskdrop`.
  const cmd = detectInvocation(CLI, process.cwd(), env.PATH ?? "");
  assert.ok(r.stderr.includes(`Continue with:  ${cmd} upload ${f} --task 'Resume me' --create --limit-rate 2M\n`), r.stderr);
  assert.ok(r.stderr.includes(`Or discard with: ${cmd} upload ${f} --task 'Resume me' --create --limit-rate 2M --cancel\n`));

  const pending = await run(["ls", "uploads"], { env });
  assert.match(pending.stdout, new RegExp(`\\n${f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} +8\\.0 MiB +movie\\.bin +\\d{4}-`));
  assert.ok(!pending.stdout.includes("attachmentSessions"), "the upload URL (a capability) is not printed");

  // The same command (minus the pacing, to be quick) picks up where it stopped.
  const done = await run(args.slice(0, -2), { env });
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout, /Uploaded .*movie\.bin \(8\.0 MiB, resumed from [1-7](\.\d)? MiB\)/);
  assert.equal(sha(await attachmentBytes("Resume me", "movie.bin")), sha(data));
  assert.match((await run(["ls", "uploads"], { env })).stdout, /^No interrupted uploads\.\n$/);
});

test("a file changed after Ctrl-C exits 7 and names --restart; --cancel discards the upload", async () => {
  const f = join(dir, "doc.bin");
  writeFileSync(f, randomBytes(8 * MiB));
  const args = ["upload", f, "--task", "Changed", "--create", "--limit-rate", "2M"];
  assert.equal((await interrupt(args)).code, 130);
  const changed = randomBytes(8 * MiB);
  writeFileSync(f, changed);
  const refused = await run(args.slice(0, -2), { env });
  assert.equal(refused.code, 7, refused.stderr);
  assert.match(refused.stderr, /doc\.bin changed since its upload was interrupted \(its content changed\)\. Restore the file to continue, or start over .*--restart/);

  const [listId, taskId] = await defaultListTask("Changed");
  assert.equal((await api.sessions.list(listId, taskId)).length, 1, "the refusal left the session alone");
  const cancelled = await run([...args.slice(0, -2), "--cancel"], { env });
  assert.equal(cancelled.code, 0, cancelled.stderr);
  assert.match(cancelled.stdout, /Cancelled the interrupted upload of .*doc\.bin\./);
  assert.equal((await api.sessions.list(listId, taskId)).length, 0, "--cancel deleted the session");
  assert.match((await run([...args.slice(0, -2), "--cancel"], { env })).stdout, /No interrupted upload of .*doc\.bin to "Changed" to cancel\./);

  const fresh = await run(args.slice(0, -2), { env });
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.doesNotMatch(fresh.stdout, /resumed/);
  assert.equal(sha(await attachmentBytes("Changed", "doc.bin")), sha(changed));
});

const hasScript = spawnSync("script", ["--version"]).status === 0;

test("on a terminal (under script(1)): a progress bar per file that renders and finishes", { skip: hasScript ? false : "script(1) from util-linux is not installed" }, async () => {
  const a = join(dir, "one.bin");
  const b = join(dir, "two.bin");
  const da = randomBytes(3 * MiB);
  writeFileSync(a, da);
  writeFileSync(b, randomBytes(MiB));
  const cmd = [process.execPath, CLI, "upload", a, b, "--task", "TTY", "--create", "--limit-rate", "2M"].map((x) => `'${x}'`).join(" ");
  // -e: script exits with the command's status; the terminal's output lands on our stdout.
  // Not execFileSync: the server under test lives in this process and must keep answering.
  const child = spawn("script", ["-qec", cmd, "/dev/null"], { env: { ...env, COLUMNS: "120", TERM: "xterm" }, stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(code, 0, out);
  const screen = out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
  assert.match(screen, /one\.bin +█+░+ +\d+% \| [\d.]+ (MiB|KiB|B) \/ 3\.0 MiB \| /, "a bar part-way");
  assert.match(screen, /one\.bin +█{24} 100% \| 3\.0 MiB \/ 3\.0 MiB \| [\d.]+ MiB\/s \| ETA 0s {2}done/);
  assert.match(screen, /two\.bin +█{24} 100% \| 1\.0 MiB \/ 1\.0 MiB \| .* {2}done/);
  assert.match(screen, /Uploaded .*one\.bin \(3\.0 MiB\)/);
  assert.match(screen, /Uploaded .*two\.bin \(1\.0 MiB\)/);
  assert.ok(out.includes("\x1b[?25l") && out.includes("\x1b[?25h"), "the cursor is hidden while drawing and shown again");
  assert.equal(sha(await attachmentBytes("TTY", "one.bin")), sha(da));
});
