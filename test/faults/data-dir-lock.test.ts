// One process per data directory, enforced by a lock the operating system releases when its holder
// dies: a second server is refused while the first lives, a crash leaves nothing that blocks the
// restart (not even a pid file naming some other live process), and servers started at the same
// moment never both win.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { CLI, testStateDir } from "../helpers/cli.js";
import { ProcessServer } from "../helpers/process-server.js";

let s: ProcessServer;
before(async () => {
  s = await ProcessServer.start();
});
after(() => s?.close());

/** Starts `taskdrop serve` on a data directory: resolves "serving" or the exit code with stderr. */
function serve(dataDir: string, extra: string[] = []): { child: ChildProcess; outcome: Promise<{ serving: boolean; code: number | null; stderr: string }> } {
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TASKDROP_"))), TASKDROP_STATE_DIR: testStateDir() };
  const child = spawn(process.execPath, [CLI, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir, "--log-level", "warn", ...extra], { stdio: ["ignore", "ignore", "pipe"], env });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  const outcome = new Promise<{ serving: boolean; code: number | null; stderr: string }>((resolve) => {
    child.stderr!.on("data", (d: string) => {
      stderr += d;
      if (/Taskdrop serving/.test(stderr)) resolve({ serving: true, code: null, stderr });
    });
    child.once("exit", (code) => resolve({ serving: false, code, stderr }));
  });
  return { child, outcome };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once("exit", r));
  child.kill("SIGKILL");
  await gone;
}

test("a second server on a data directory in use is refused with exit code 2 and says by whom", async () => {
  const second = serve(s.dataDir);
  const o = await second.outcome;
  await stop(second.child);
  assert.equal(o.serving, false);
  assert.equal(o.code, 2);
  assert.match(o.stderr, new RegExp(`in use by another Taskdrop process \\(pid ${s.pid}\\)`));
  assert.match(o.stderr, /A second server needs its own --data-dir/);
  assert.equal((await fetch(`${s.url}/_taskdrop/health`)).status, 200, "the first one serves on");
});

test("a refused start writes nothing into the directory it was refused (no development certificates)", async () => {
  const before = readdirSync(s.dataDir).sort();
  const second = serve(s.dataDir, ["--https"]);
  const o = await second.outcome;
  await stop(second.child);
  assert.equal(o.code, 2, o.stderr);
  assert.equal(o.stderr.trim().split("\n").length, 1, o.stderr);
  assert.deepEqual(readdirSync(s.dataDir).sort(), before, "no tls/ (or anything else) appeared");
});

test("after kill -9, a pid file naming another live process does not block the restart", async () => {
  await s.kill("SIGKILL");
  // The dead server's pid could since have gone to anyone: here, this very test process.
  writeFileSync(join(s.dataDir, "taskdrop.pid"), String(process.pid));
  await s.restart();
  assert.equal((await fetch(`${s.url}/_taskdrop/health`)).status, 200);
});

test("servers started at the same moment on one data directory: exactly one serves", async () => {
  await s.kill("SIGKILL");
  for (let round = 0; round < 2; round++) {
    const racers = Array.from({ length: 3 }, () => serve(s.dataDir));
    const outcomes = await Promise.all(racers.map((r) => r.outcome));
    await Promise.all(racers.map((r) => stop(r.child)));
    assert.equal(outcomes.filter((o) => o.serving).length, 1, outcomes.map((o) => o.stderr).join("\n---\n"));
    for (const o of outcomes.filter((x) => !x.serving)) {
      assert.equal(o.code, 2, o.stderr);
      assert.match(o.stderr, /in use by another Taskdrop process/);
    }
  }
  await s.restart();
});
