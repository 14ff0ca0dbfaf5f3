#!/usr/bin/env node
// Runs the compiled test suites with node's own test runner. Usage:
//   node scripts/run-tests.mjs            every suite under dist/test
//   node scripts/run-tests.mjs unit http  only those suites
// Files run in parallel (bounded by the machine's cores); each file starts its own servers on
// random ports with their own data directories and database schemas, so they never collide.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync, existsSync } from "node:fs";
import { join } from "node:path";
import { availableParallelism } from "node:os";

const root = "dist/test";
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
const files = suites.flatMap((s) => collect(join(root, s))).sort();
if (files.length === 0) {
  console.error(`no test files found under ${suites.map((s) => join(root, s)).join(", ")}`);
  process.exit(1);
}
const concurrency = Math.max(2, availableParallelism());
const r = spawnSync(process.execPath, ["--test", `--test-concurrency=${concurrency}`, ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);
