#!/usr/bin/env node
// Runs the compiled test suites with node's own test runner. Usage:
//   node scripts/run-tests.mjs            every suite under dist/test
//   node scripts/run-tests.mjs unit http  only those suites
// Files run in parallel (bounded by the machine's cores); each file starts its own servers on
// random ports with their own data directories and database schemas, so they never collide.
//
// The store is chosen here, in one place: the suites in STORE_SUITES (everything that talks to a
// server through HTTP or an SDK) run once on the embedded store and once more with
// TASKDROP_TEST_STORE=postgres, which test/helpers/server.ts reads. A new file in those folders gets
// its PostgreSQL run without anyone writing a wrapper. When PostgreSQL is not reachable, that second
// pass is one skipped test naming the reason.
import { spawn } from "node:child_process";
import { readdirSync, statSync, existsSync } from "node:fs";
import { join } from "node:path";
import { availableParallelism } from "node:os";

const root = "dist/test";
/** Suites whose servers follow TASKDROP_TEST_STORE; the contract and fault suites pick their stores themselves. */
const STORE_SUITES = ["http", "sdk"];

if (!existsSync(root)) {
  console.error("dist/test is missing: run `npm run build` first.");
  process.exit(1);
}
const wanted = process.argv.slice(2);
const suites = wanted.length > 0 ? wanted : readdirSync(root).filter((d) => statSync(join(root, d)).isDirectory() && d !== "helpers");

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith(".test.js")) out.push(p);
  }
  return out;
}
const filesOf = (list) => list.flatMap((s) => collect(join(root, s))).sort();
const files = filesOf(suites);
if (files.length === 0) {
  console.error(`no test files found under ${suites.map((s) => join(root, s)).join(", ")}`);
  process.exit(1);
}
const concurrency = Math.max(2, availableParallelism());
const reporter = process.stdout.isTTY ? "spec" : "tap";

/** Runs one `node --test` pass, echoing its output, and returns its exit code and counts. */
function pass(label, passFiles, env) {
  return new Promise((resolve) => {
    console.log(`\n# ${label}: ${passFiles.length} file(s)`);
    const child = spawn(process.execPath, ["--test", `--test-concurrency=${concurrency}`, `--test-reporter=${reporter}`, ...passFiles], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, ...env },
    });
    const counts = { pass: 0, fail: 0, skipped: 0, cancelled: 0 };
    let tail = "";
    child.stdout.on("data", (b) => {
      process.stdout.write(b);
      const text = tail + b.toString("utf8");
      const lines = text.split("\n");
      tail = lines.pop();
      for (const line of lines) {
        // The runner's closing summary: "# pass 12" (tap) or "ℹ pass 12" (spec), colours stripped.
        const m = /^(?:#|ℹ) (pass|fail|skipped|cancelled) (\d+)\s*$/.exec(line.replace(/\x1b\[[0-9;]*m/g, ""));
        if (m) counts[m[1]] = Number(m[2]);
      }
    });
    child.on("close", (code) => resolve({ label, code: code ?? 1, counts }));
  });
}

const results = [await pass("embedded store (SQLite + files)", files, { TASKDROP_TEST_STORE: "sqlite" })];
const storeSuites = suites.filter((s) => STORE_SUITES.includes(s));
if (storeSuites.length > 0) {
  const { postgresSkipReason } = await import(new URL(`../${root}/helpers/postgres.js`, import.meta.url).href);
  const reachable = (await postgresSkipReason()) === undefined;
  const pgFiles = reachable ? filesOf(storeSuites) : [join(root, "helpers", "postgres-skipped.js")];
  results.push(await pass(`${storeSuites.join(", ")} on PostgreSQL`, pgFiles, { TASKDROP_TEST_STORE: "postgres", TASKDROP_TEST_SUITES: storeSuites.join(", ") }));
}

const total = { pass: 0, fail: 0, skipped: 0 };
for (const r of results) {
  total.pass += r.counts.pass;
  total.fail += r.counts.fail + r.counts.cancelled;
  total.skipped += r.counts.skipped;
  console.log(`# ${r.label}: exit ${r.code}, ${r.counts.pass} passed, ${r.counts.fail + r.counts.cancelled} failed, ${r.counts.skipped} skipped`);
}
console.log(`tests: ${total.pass} passed, ${total.fail} failed, ${total.skipped} skipped`);
process.exit(results.every((r) => r.code === 0) ? 0 : 1);
