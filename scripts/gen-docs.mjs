#!/usr/bin/env node
// Regenerates the parts of docs/ that come from the code (the options table of
// docs/configuration.md, from src/config.ts). Run after `npm run build`:
//   node scripts/gen-docs.mjs          rewrite the file
//   node scripts/gen-docs.mjs --check  exit 1 if it is stale (test/unit/config-docs.test.ts does the same)
import { readFileSync, writeFileSync } from "node:fs";

const { withOptionsTable } = await import(new URL("../dist/src/config-docs.js", import.meta.url).href);
const file = new URL("../docs/configuration.md", import.meta.url);
const before = readFileSync(file, "utf8");
const after = withOptionsTable(before);
if (process.argv.includes("--check")) {
  if (after !== before) {
    console.error("docs/configuration.md is stale: run `npm run build && node scripts/gen-docs.mjs`");
    process.exit(1);
  }
} else if (after !== before) {
  writeFileSync(file, after);
  console.log("docs/configuration.md: options table rewritten");
}
