// The README is the most-read test: every shell block in it (and in the curl walk-throughs of
// docs/curl.md, which run against the same quick-start server) runs as one paste in a fresh shell and
// ends well. Each block runs in its own `bash -eo pipefail` in an empty folder (so a walk-through
// leaves nothing in the checkout), next to a real `taskdrop serve` as the quick start runs it:
// `npx taskdrop` is this checkout's CLI, the server's port 8080 becomes a free one. The quick start's
// own block (`npm ci && npm start`, `npm test`) is what runs this suite, so it is the one not run here.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ProcessServer } from "../helpers/process-server.js";
import { bash, folderWithCli } from "../helpers/shell-blocks.js";

const DOCS = ["README.md", "docs/curl.md"];
const blocks = DOCS.flatMap((doc) =>
  [...readFileSync(new URL(`../../../${doc}`, import.meta.url), "utf8").matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m, i) => ({ doc, n: i + 1, text: m[1]! })),
);
const QUICK_START = /^npm ci && npm start\b/;

let s: ProcessServer;
let folder: string;
before(async () => {
  // `npx taskdrop` in this folder runs the checkout's CLI, as it does in the checkout.
  folder = folderWithCli();
  // The quick start's server: ./data of the folder the blocks run in.
  s = await ProcessServer.start({ dataDir: join(folder, "data") });
});
after(() => s?.close());

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
