// What a new user meets in the first hour (issue 19), through the real binary as a process: the
// version, one-line errors that name where a bad value came from, unusable data directories, the
// start banner's commands, a token that only ever uses the server's own key, and the log format.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { detectInvocation } from "../../src/cli/invocation.js";
import { TaskdropClient } from "../../src/client/index.js";
import { CLI, childEnv, runCli } from "../helpers/cli.js";
import { tempDir } from "../helpers/server.js";

const dir = tempDir("taskdrop-first-hour-");
after(() => rmSync(dir, { recursive: true, force: true }));
const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };

/** Each test its own state directory: only the servers it starts are "running" for its CLI calls. */
function isolatedEnv(name: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...childEnv(), TASKDROP_STATE_DIR: join(dir, `state-${name}`), ...extra };
}

interface Serving {
  child: ChildProcess;
  url: string;
  banner: string;
  stdout: () => string;
  stop(): Promise<void>;
}

/** `taskdrop serve` as a process, until its banner is complete. */
function serve(args: string[], o: { env: NodeJS.ProcessEnv; cwd?: string }): Promise<Serving> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "serve", "--port", "0", ...args], { env: o.env, cwd: o.cwd ?? process.cwd(), stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => {
      err += d;
      const m = /Taskdrop serving (\S+)/.exec(err);
      if (m && /Stop with Ctrl-C\n/.test(err)) {
        resolve({
          child,
          url: m[1]!,
          banner: err,
          stdout: () => out,
          stop: () =>
            new Promise<void>((r) => {
              if (child.exitCode !== null) return r();
              child.once("exit", () => r());
              child.kill("SIGTERM");
            }),
        });
      }
    });
    child.once("exit", (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

/** Runs a line of shell as a user would paste it, in `cwd`. */
function sh(line: string, o: { env: NodeJS.ProcessEnv; cwd: string }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", line], { env: o.env, cwd: o.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("usage", () => {
  test("--version prints the package's version", async () => {
    for (const flag of ["--version", "-V"]) {
      const r = await runCli([flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${pkg.version}\n`);
    }
  });

  test("a bad or missing option is one line and a pointer to --help, exit 2 (not the whole help)", async () => {
    const run = detectInvocation(CLI, process.cwd(), process.env.PATH ?? "");
    const cases: [string[], string][] = [
      [["serve", "--bogus"], `error: unknown option '--bogus'\nRun '${run} serve --help' for the options.\n`],
      [["upload", "x.bin"], `error: required option '--task <title|id>' not specified\nRun '${run} upload --help' for the options.\n`],
      [["nope"], `error: unknown command 'nope'\nRun '${run} --help' for the options.\n`],
    ];
    for (const [args, expected] of cases) {
      const r = await runCli(args);
      assert.equal(r.code, 2, args.join(" "));
      assert.equal(r.stderr, expected);
    }
  });

  test("a bad value names the variable it came from; booleans take only true/false/1/0", async () => {
    const cases: [NodeJS.ProcessEnv, string][] = [
      [{ TASKDROP_PORT: "99999" }, "taskdrop: TASKDROP_PORT must be between 0 and 65535, got 99999\n"],
      [{ PORT: "x" }, 'taskdrop: PORT must be a whole number, got "x"\n'],
      [{ TASKDROP_HTTPS: "yes" }, 'taskdrop: TASKDROP_HTTPS must be true or false (or 1 or 0), got "yes"\n'],
      [{ TASKDROP_TRUST_PROXY: "ture" }, 'taskdrop: TASKDROP_TRUST_PROXY must be true or false (or 1 or 0), got "ture"\n'],
      [{ TASKDROP_LOG_FORMAT: "xml" }, 'taskdrop: TASKDROP_LOG_FORMAT must be one of auto, pretty, json, got "xml"\n'],
    ];
    for (const [env, expected] of cases) {
      const r = await runCli(["serve", "--data-dir", join(dir, "never")], env);
      assert.equal(r.code, 2, JSON.stringify(env));
      assert.equal(r.stderr, expected);
    }
    const flag = await runCli(["serve", "--port", "99999"]);
    assert.equal(flag.stderr, "taskdrop: --port must be between 0 and 65535, got 99999\n");
    assert.equal(existsSync(join(dir, "never")), false, "nothing was created for a refused start");
  });
});

describe("unusable data directories: one line, exit 2, no hang", () => {
  const file = join(dir, "a-file");
  writeFileSync(file, "x");
  const cases: [string, RegExp][] = [
    [join(file, "data"), /^taskdrop: --data-dir \S+a-file\/data is not usable: \S+a-file is a file, not a directory\n$/],
    ["/proc/taskdrop-test", /^taskdrop: --data-dir \/proc\/taskdrop-test is not usable: cannot create \/proc\/taskdrop-test: .+\n$/],
    [file, /^taskdrop: --data-dir \S+a-file is not usable: \S+a-file is a file, not a directory\n$/],
  ];
  for (const [dataDir, message] of cases) {
    test(dataDir.replace(dir, "<tmp>"), async () => {
      // runCli kills and fails the test after 15 s: a hang (Node's recursive mkdir loops on /proc) fails.
      const r = await runCli(["serve", "--port", "0", "--data-dir", dataDir]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
    });
  }
});

describe("the CLI finds the server next to it", () => {
  test("the banner's commands run as printed, from where the server was started, and its token is accepted", async () => {
    const env = isolatedEnv("banner");
    const cwd = join(dir, "somewhere");
    mkdirSync(cwd);
    const s = await serve(["--data-dir", "td-data"], { env, cwd });
    try {
      // Outside a checkout the CLI is run as `node <path>`: that is what the banner says.
      const run = detectInvocation(CLI, cwd, env.PATH ?? "");
      assert.match(run, /^node /);
      assert.ok(s.banner.includes(`  TOKEN=$(${run} token --user alice --data-dir td-data)\n`), s.banner);
      const lines = s.banner.split("\n").filter((l) => l.startsWith("  ")).map((l) => l.trim());
      const curl = lines.find((l) => l.startsWith("curl "))!;
      const r = await sh(`${lines[0]}\n${curl} -s -o /dev/null -w '%{http_code}'`, { env, cwd });
      assert.equal(r.stdout, "200", r.stderr);
      assert.match(s.banner, new RegExp(`${run.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} upload <file> --task "First task" --create --base-url ${s.url}/v1.0 --token "\\$TOKEN"\n`));
    } finally {
      await s.stop();
    }
  });

  test("in the checkout the banner says npx taskdrop", async () => {
    const env = isolatedEnv("checkout");
    const root = new URL("../../../", import.meta.url).pathname;
    const s = await serve(["--data-dir", join(dir, "checkout-data")], { env, cwd: root });
    try {
      assert.match(s.banner, /\n {2}TOKEN=\$\(npx taskdrop token --user alice --data-dir \S+checkout-data\)\n/);
    } finally {
      await s.stop();
    }
  });

  test("`token` and `ls` with no flags, from another folder, use the one running server on its random port", async () => {
    const env = isolatedEnv("registry");
    const s = await serve(["--data-dir", join(dir, "registry-data")], { env });
    const elsewhere = join(dir, "elsewhere");
    mkdirSync(elsewhere);
    try {
      const t = await sh(`${process.execPath} ${CLI} token --user bob`, { env, cwd: elsewhere });
      assert.equal(t.code, 0, t.stderr);
      const lists = await fetch(`${s.url}/v1.0/me/todo/lists`, { headers: { authorization: `Bearer ${t.stdout.trim()}` } });
      assert.equal(lists.status, 200);
      const ls = await sh(`${process.execPath} ${CLI} ls`, { env, cwd: elsewhere });
      assert.equal(ls.code, 0, ls.stderr);
      assert.match(ls.stdout, /\nTasks +default +AQMkL/);
      assert.equal(existsSync(join(elsewhere, "data")), false, "nothing was created where the CLI ran");
    } finally {
      await s.stop();
    }
    // Stopped: it is no longer announced, so the CLI says there is nothing to ask.
    const gone = await sh(`${process.execPath} ${CLI} token`, { env, cwd: elsewhere });
    assert.equal(gone.code, 2);
    assert.match(gone.stderr, /^taskdrop: no signing key in \S+elsewhere\/data, and no Taskdrop server running\. Start one with `node \S+ serve`, or point --data-dir/);
  });

  test("with two servers running and nothing said, the CLI asks which instead of guessing", async () => {
    const env = isolatedEnv("two");
    const [a, b] = await Promise.all([serve(["--data-dir", join(dir, "two-a")], { env }), serve(["--data-dir", join(dir, "two-b")], { env })]);
    try {
      const r = await sh(`${process.execPath} ${CLI} ls`, { env, cwd: join(dir, "elsewhere") });
      assert.equal(r.code, 2);
      assert.ok(r.stderr.includes(`--base-url ${a.url}/v1.0`) && r.stderr.includes(`--base-url ${b.url}/v1.0`), r.stderr);
      const picked = await sh(`${process.execPath} ${CLI} ls --base-url ${b.url}/v1.0`, { env, cwd: join(dir, "elsewhere") });
      assert.equal(picked.code, 0, picked.stderr);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  test("token never creates a key: a data directory without one is an error naming where it looked", async () => {
    const empty = join(dir, "no-key");
    const r = await runCli(["token", "--data-dir", empty], isolatedEnv("nokey"));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^taskdrop: no signing key in \S+no-key, and no Taskdrop server running\./);
    assert.equal(existsSync(empty), false, "no directory, no key");
  });
});

describe("connections", () => {
  test("the client fails at once where nothing listens, but retries a server that answered and then went away", async () => {
    let srv: Server = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"value":[]}'));
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    const port = (srv.address() as { port: number }).port;
    const retries: number[] = [];
    const client = new TaskdropClient({
      baseUrl: `http://127.0.0.1:${port}/v1.0`,
      token: "t",
      retry: { retries: 5, baseDelayMs: 50, failFastIfUnreachable: true },
      onRetry: (e) => retries.push(e.attempt),
    });
    assert.deepEqual(await client.lists.list(), []);
    await new Promise((r) => srv.close(r));
    // It answered before: a refusal now is a restart, worth waiting for.
    const later = client.lists.list();
    await new Promise((r) => setTimeout(r, 120));
    srv = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"value":[]}'));
    await new Promise<void>((r) => srv.listen(port, "127.0.0.1", r));
    assert.deepEqual(await later, []);
    assert.ok(retries.length >= 1, "retried");
    await new Promise((r) => srv.close(r));

    const fresh = new TaskdropClient({ baseUrl: `http://127.0.0.1:${port}/v1.0`, token: "t", retry: { retries: 5, failFastIfUnreachable: true }, onRetry: () => retries.push(-1) });
    await assert.rejects(fresh.lists.list(), (e: Error & { refused?: boolean }) => e.refused === true);
    assert.ok(!retries.includes(-1), "no retry where nothing ever answered");
  });
});

describe("logs", () => {
  test("JSON lines on stdout when it is not a terminal; --log-format pretty gives one readable line per request", async () => {
    const env = isolatedEnv("logs");
    for (const format of ["json", "pretty"] as const) {
      const s = await serve(["--data-dir", join(dir, `logs-${format}`), ...(format === "pretty" ? ["--log-format", "pretty"] : [])], { env });
      await (await fetch(`${s.url}/_taskdrop/health`)).text();
      await new Promise((r) => setTimeout(r, 200));
      await s.stop();
      const lines = s.stdout().trim().split("\n");
      if (format === "json") {
        const events = lines.map((l) => JSON.parse(l) as { event?: string; url?: string; status?: number });
        assert.ok(events.some((e) => e.event === "request" && e.url === "/_taskdrop/health" && e.status === 200), s.stdout());
        assert.ok(!s.banner.includes("{"), "the banner (stderr) is for people");
      } else {
        assert.ok(lines.every((l) => !l.startsWith("{")), s.stdout());
        assert.ok(lines.some((l) => / INFO: GET \/_taskdrop\/health 200 \d+ ms$/.test(l)), s.stdout());
      }
    }
  });
});

describe("invocation", () => {
  test("`taskdrop` only when that name on the PATH is this CLI; npx in a project that has it; else node <path>", () => {
    const bin = join(dir, "bin");
    mkdirSync(bin);
    symlinkSync(CLI, join(bin, "taskdrop"));
    assert.equal(detectInvocation(CLI, dir, `/usr/bin:${bin}`), "taskdrop");
    // npm's own .bin folders on the PATH of what it runs are not the user's shell's PATH.
    assert.match(detectInvocation(CLI, dir, join(dir, "node_modules", ".bin")), /^node /);
    const project = join(dir, "project");
    mkdirSync(join(project, "node_modules", ".bin"), { recursive: true });
    writeFileSync(join(project, "package.json"), "{}");
    symlinkSync(CLI, join(project, "node_modules", ".bin", "taskdrop"));
    mkdirSync(join(project, "src"));
    assert.equal(detectInvocation(CLI, join(project, "src"), "/usr/bin"), "npx taskdrop");
    assert.equal(detectInvocation(CLI, new URL("../../../", import.meta.url).pathname, "/usr/bin"), "npx taskdrop", "the checkout");
    assert.equal(detectInvocation(CLI, dir, "/usr/bin"), `node ${CLI}`);
  });
});
