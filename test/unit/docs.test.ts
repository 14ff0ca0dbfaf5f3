// The docs that can be checked mechanically: the options table is generated from src/config.ts and
// must be current, and every relative link in the README, docs/ and the folder READMEs must lead to a
// file (and, with #anchor, to a heading) that exists.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { OPTIONS, optionFlag, type OptionName } from "../../src/config.js";
import { renderOptionsTable, withOptionsTable } from "../../src/config-docs.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
const read = (p: string) => readFileSync(join(root, p), "utf8");

test("docs/configuration.md's options table is the one generated from src/config.ts", () => {
  const doc = read("docs/configuration.md");
  assert.equal(doc, withOptionsTable(doc), "stale: run `npm run build && node scripts/gen-docs.mjs`");
  const table = renderOptionsTable();
  for (const name of Object.keys(OPTIONS) as OptionName[]) assert.match(table, new RegExp(`\`${optionFlag(name)}\``));
});

test("the server's options are tabled once: only docs/configuration.md lists them flag by flag", () => {
  for (const file of markdownFiles().filter((f) => f !== "docs/configuration.md")) {
    const rows = read(file).split("\n").filter((l) => /^\| `--(data-dir|session-casing|range-limit|trust-proxy)`/.test(l));
    assert.deepEqual(rows, [], `${file} has its own options table; link to docs/configuration.md instead`);
  }
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  let fence = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fence = !fence;
    const m = !fence && /^#{1,6} (.+)$/.exec(line);
    if (m) out.add(m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-"));
  }
  return out;
}

function markdownFiles(): string[] {
  const found = ["README.md"];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(root, dir))) {
      const p = join(dir, name);
      if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
      if (statSync(join(root, p)).isDirectory()) walk(p);
      else if (name.endsWith(".md")) found.push(p);
    }
  };
  for (const dir of ["docs", "src", "test", "bench", "web"]) if (existsSync(join(root, dir))) walk(dir);
  return found;
}

test("every relative link in the README, docs/ and the folder READMEs leads somewhere", () => {
  const broken: string[] = [];
  for (const file of markdownFiles()) {
    const text = read(file);
    const prose = text.replace(/```[\s\S]*?```/g, "");
    for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/i.test(target)) continue; // http(s):, mailto:
      const [path, anchor] = target.split("#") as [string, string | undefined];
      const dest = path === "" ? file : relative(root, join(root, dirname(file), decodeURIComponent(path)));
      if (!existsSync(join(root, dest))) {
        broken.push(`${file}: ${target} (no ${dest})`);
        continue;
      }
      if (anchor !== undefined && dest.endsWith(".md") && !anchors(read(dest)).has(anchor)) broken.push(`${file}: ${target} (no heading #${anchor} in ${dest})`);
    }
  }
  assert.deepEqual(broken, []);
});
