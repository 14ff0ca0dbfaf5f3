// The client commands through the real binary against a real server: output, exit codes and the
// bytes that arrive.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { TaskdropClient } from "../../src/client/index.js";
import type { TestServer } from "../helpers/server.js";
import { MiB, sha } from "../client/support.js";
import { detectInvocation } from "../../src/cli/invocation.js";
import { CLI } from "../helpers/cli.js";
import { run, startCliWorld, stopCliWorld } from "./run.js";

let s: TestServer;
let dir: string;
let env: NodeJS.ProcessEnv;
let api: TaskdropClient;
before(async () => ({ s, dir, env, api } = await startCliWorld("taskdrop-cli-")));
after(() => stopCliWorld({ s, dir }));

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

const file = (name: string, data: Uint8Array) => {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
};

describe("help and usage", () => {
  test("--help for every command, with the exit codes; exit 0", async () => {
    const top = await run(["--help"], { env });
    assert.equal(top.code, 0);
    for (const c of ["upload", "download", "ls", "serve", "token"]) assert.match(top.stdout, new RegExp(`\\n  ${c} `));
    const helps = await Promise.all(["upload", "download", "ls"].map((c) => run([c, "--help"], { env })));
    for (const r of helps) {
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /--base-url <url>[\s\S]*TASKDROP_BASE_URL/);
      assert.match(r.stdout, /Exit codes:[\s\S]*130  interrupted/);
    }
  });

  test("usage errors exit 2: unknown option, missing --task, a chunk over 4M, a bad --list kind, no token", async () => {
    const f = file("u.bin", randomBytes(10));
    const cases: [string[], RegExp][] = [
      [["ls", "--bogus"], /unknown option '--bogus'/],
      [["upload", f], /required option '--task <title\|id>' not specified/],
      [["upload", f, "--task", "x", "--chunk-size", "5M"], /at most 4M/],
      [["ls", "things"], /ls takes one of lists, tasks, attachments, steps, links, uploads/],
      [["upload", f, f, "--task", "x", "--name", "n"], /--name needs exactly one file/],
    ];
    const results = await Promise.all(cases.map(([args]) => run(args, { env })));
    cases.forEach(([args, message], i) => {
      assert.equal(results[i]!.code, 2, `${args.join(" ")}: ${results[i]!.stderr}`);
      assert.match(results[i]!.stderr, message);
    });
    const noKey = await run(["ls"], { env: { ...env, TASKDROP_DATA_DIR: join(dir, "no-server-here") } });
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /no token: pass --token \(or set TASKDROP_TOKEN\)/);
  });
});

describe("ls, upload, download", () => {
  test("ls lists as a table and as JSON", async () => {
    await api.lists.create({ displayName: "Work stuff" });
    const r = await run(["ls"], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME +KIND +ID\n/);
    assert.match(r.stdout, /\nTasks +default +AQMkL\S+=\n/);
    assert.match(r.stdout, /\nWork stuff +AQMkL\S+=\n/);
    const j = await run(["ls", "lists", "--json"], { env });
    const lists = JSON.parse(j.stdout) as { displayName: string }[];
    assert.deepEqual(lists.map((l) => l.displayName).sort(), ["Tasks", "Work stuff"]);
  });

  test("ls steps and ls links of a task, as tables and as JSON", async () => {
    const list = await api.lists.create({ displayName: "Trip list" });
    const task = await api.tasks.create(list.id, { title: "Trip" });
    const step = await api.checklistItems.create(list.id, task.id, { displayName: "Book train" });
    await api.checklistItems.update(list.id, task.id, step.id, { isChecked: true });
    await api.linkedResources.create(list.id, task.id, { displayName: "Booking", applicationName: "Rail", webUrl: "https://example.com/b" });
    const [steps, links, json, none] = await Promise.all([
      run(["ls", "steps", "--list", "Trip list", "--task", "Trip"], { env }),
      run(["ls", "links", "--task", "Trip"], { env }),
      run(["ls", "steps", "--task", "Trip", "--json"], { env }),
      run(["ls", "links"], { env }),
    ]);
    assert.equal(steps.code, 0, steps.stderr);
    assert.match(steps.stdout, /^DONE +STEP +ID\nx +Book train +AQMkC\S+=\n/);
    assert.match(links.stdout, /^NAME +APP +URL +ID\nBooking +Rail +https:\/\/example\.com\/b +AQMkR\S+=\n/);
    assert.equal((JSON.parse(json.stdout) as { displayName: string }[])[0]!.displayName, "Book train");
    assert.equal(none.code, 2);
    assert.match(none.stderr, /ls links needs --task/);
  });

  test("upload two files with --create (plain progress lines), ls attachments, download identical copies", async () => {
    const a = randomBytes(5 * MiB + 3);
    const b = randomBytes(1000);
    const fa = file("alpha.bin", a);
    const fb = file("beta.txt", b);
    const r = await run(["upload", fa, fb, "--list", "work STUFF", "--task", "Ship it", "--create"], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Uploaded .*alpha\.bin \(5\.0 MiB\) to "Ship it" in list "Work stuff": attachment AQMkA\S+=\n/m);
    assert.match(r.stdout, /^Uploaded .*beta\.txt \(1000 B\)/m);
    assert.match(r.stderr, /alpha\.bin: 5\.0 MiB \/ 5\.0 MiB \(100%\)/);

    const out = join(dir, "copy.bin");
    const cwd = join(dir, "downloads");
    mkdirSync(cwd);
    const [ls, tasks, d, byName, toStdout] = await Promise.all([
      run(["ls", "attachments", "--task", "Ship it"], { env }),
      run(["ls", "tasks", "--list", "Work stuff"], { env }),
      run(["download", "Ship it", "alpha.bin", "-o", out], { env }),
      // Default name, in the working directory.
      run(["download", "Ship it", "beta.txt"], { env, cwd }),
      run(["download", "Ship it", "beta.txt", "-o", "-"], { env }),
    ]);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^NAME +SIZE +TYPE +MODIFIED +ID\n/);
    assert.match(ls.stdout, /\nalpha\.bin +5\.0 MiB +application\/octet-stream +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +AQMkA\S+=\n/);
    assert.match(ls.stdout, /\nbeta\.txt +1000 B +text\/plain /);
    assert.match(tasks.stdout, /\nShip it +notStarted +yes +AQMkT/);

    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /Downloaded alpha\.bin \(5\.0 MiB, length and SHA-256 verified\) to /);
    assert.equal(sha(readFileSync(out)), sha(a));
    assert.equal(byName.code, 0, byName.stderr);
    assert.equal(sha(readFileSync(join(cwd, "beta.txt"))), sha(b));
    assert.equal(toStdout.code, 0);
    assert.equal(sha(toStdout.stdoutBytes), sha(b));

    const again = await run(["download", "Ship it", "alpha.bin", "-o", out], { env });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /exists; use --force/);
    assert.equal((await run(["download", "Ship it", "alpha.bin", "-o", out, "--force"], { env })).code, 0);
  });

  test("--json: one event per line, the uploaded bytes are exact", async () => {
    const data = randomBytes(9 * MiB);
    const f = file("gamma.bin", data);
    const r = await run(["upload", f, "--task", "JSON task", "--create", "--json", "--chunk-size", "2M"], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(events.every((e) => e.event === "progress" || e.event === "uploaded"));
    const done = events.at(-1)!;
    assert.equal(done.event, "uploaded");
    assert.equal(done.size, data.length);
    assert.equal(done.resumedFrom, 0);
    const bytes = Buffer.from(await (await api.attachments.content(String(done.listId), String(done.taskId), String(done.attachmentId))).arrayBuffer());
    assert.equal(sha(bytes), sha(data));
  });
});

describe("exit codes for failures", () => {
  test("not found (3): file, list, task (with a hint), attachment", async () => {
    const f = file("nf.bin", randomBytes(10));
    const cases: [string[], RegExp][] = [
      [["upload", join(dir, "missing.bin"), "--task", "x"], /no such file: .*missing\.bin/],
      [["upload", f, "--list", "Nope", "--task", "x"], /no list "Nope" \(lists: Tasks/],
      [["upload", f, "--task", "No such task"], /no task "No such task" in any list \(add --create to create it\)/],
      [["download", "Ship it", "nothing.bin"], /no attachment "nothing\.bin" on task "Ship it" \(attachments: alpha\.bin, beta\.txt, nf\.bin\)/],
    ];
    await run(["upload", f, "--task", "Ship it", "--create"], { env });
    const results = await Promise.all(cases.map(([args]) => run(args, { env })));
    cases.forEach(([args, message], i) => {
      assert.equal(results[i]!.code, 3, `${args.join(" ")}: ${results[i]!.stderr}`);
      assert.match(results[i]!.stderr, message);
    });
  });

  test("auth (4), refused (5), unavailable (6)", async () => {
    const big = file("big.bin", new Uint8Array(25 * MiB + 1));
    const [bad, tooBig, down] = await Promise.all([
      run(["ls", "--token", "nope"], { env }),
      run(["upload", big, "--task", "Ship it"], { env }),
      closedPort().then(async (port) => ({ port, ...(await run(["ls", "--base-url", `http://127.0.0.1:${port}/v1.0`], { env })) })),
    ]);
    assert.equal(bad.code, 4);
    assert.match(bad.stderr, /401 InvalidAuthenticationToken/);
    assert.equal(tooBig.code, 5);
    assert.match(tooBig.stderr, /at most 26214400 bytes \(25 MiB\)/);
    // Nothing listens there: said at once, with what to do, instead of retrying a refused connection.
    assert.equal(down.code, 6);
    assert.equal(down.stderr, `taskdrop: no Taskdrop server at http://127.0.0.1:${down.port}: start one with \`${detectInvocation(CLI, process.cwd(), env.PATH ?? "")} serve\`, or point --base-url (TASKDROP_BASE_URL) at yours\n`);
  });
});
