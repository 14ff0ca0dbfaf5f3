// The README is the most-read test: every shell block in it (and in the curl walk-throughs of
// docs/curl.md, which run against the same quick-start server) runs as one paste in a fresh shell and
// ends well. Each block runs in its own `bash -eo pipefail` in an empty folder (so a walk-through
// leaves nothing in the checkout), next to a real `taskdrop serve` as the quick start runs it:
// `npx taskdrop` is this checkout's CLI, the server's port 8080 becomes a free one. The quick start's
// own block (`npm ci && npm start`, `npm test`) is what runs this suite, so it is the one not run here.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { CLI, childEnv } from "../helpers/cli.js";
import { ProcessServer } from "../helpers/process-server.js";
import { tempDir } from "../helpers/server.js";

const DOCS = ["README.md", "docs/curl.md"];
const blocks = DOCS.flatMap((doc) =>
  [...readFileSync(new URL(`../../../${doc}`, import.meta.url), "utf8").matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m, i) => ({ doc, n: i + 1, text: m[1]! })),
);
const QUICK_START = /^npm ci && npm start\b/;

let s: ProcessServer;
let folder: string;
before(async () => {
  folder = tempDir("taskdrop-readme-");
  // `npx taskdrop` in this folder runs the checkout's CLI, as it does in the checkout.
  mkdirSync(join(folder, "node_modules", ".bin"), { recursive: true });
  writeFileSync(join(folder, "package.json"), JSON.stringify({ name: "readme-run", private: true }));
  const bin = join(folder, "node_modules", ".bin", "taskdrop");
  writeFileSync(bin, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(bin, 0o755);
  // The quick start's server: ./data of the folder the blocks run in.
  s = await ProcessServer.start({ dataDir: join(folder, "data") });
});
after(() => s?.close());

function bash(script: string, cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-eo", "pipefail", "-c", script], { cwd, env: { ...childEnv() }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => resolve({ code, out }));
  });
}

test("the README has shell blocks, and only the quick start's is not run here", () => {
  assert.ok(blocks.length >= 4);
  assert.equal(blocks.filter((b) => QUICK_START.test(b.text)).length, 1);
});

for (const { doc, n, text: block } of blocks) {
  if (QUICK_START.test(block)) continue;
  test(`${doc} shell block ${n} (${block.split("\n").find((l) => l && !l.startsWith("#"))!.slice(0, 50)}…) runs as one paste`, async () => {
    const before = new Set(readdirSync(folder));
    const r = await bash(block.replaceAll("127.0.0.1:8080", `127.0.0.1:${s.port}`), folder);
    assert.equal(r.code, 0, r.out);
    assert.doesNotMatch(r.out, /command not found|No such file/, r.out);
    if (/cmp .*&& echo identical/.test(block)) assert.match(r.out, /^identical$/m, r.out);
    const left = readdirSync(folder).filter((n) => !before.has(n));
    assert.deepEqual(left, [], "the block leaves nothing behind in the folder it runs in (its files go to mktemp -d)");
  });
}
