#!/usr/bin/env node
// Packs what Taskdrop publishes, from the build in dist/ (run `npm run build` first):
//   taskdrop-<version>.tgz         the whole package (server, CLI, client), as `npm pack` makes it
//   taskdrop-client-<version>.tgz  the client SDK alone: no dependencies, no native module, no scripts
// Usage: node scripts/pack.mjs [--out DIR] [--client-only]
//
// Why a generated client package rather than an npm workspace: src/client imports nothing outside
// itself (test/unit/docs.test.ts and the layer rules keep it so), so the compiled folder *is* a
// complete package; generating it keeps one source tree, one package.json to install and test at the
// root (`npm ci && npm start`, `npm test`), and no move of src/client under packages/.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const outAt = args.indexOf("--out");
const out = resolve(outAt >= 0 ? args[outAt + 1] : root);
const clientOnly = args.includes("--client-only");
const built = join(root, "dist", "src", "client");
if (!existsSync(join(built, "index.js"))) {
  console.error("dist/src/client is missing: run `npm run build` first.");
  process.exit(1);
}
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
mkdirSync(out, { recursive: true });

/** `npm pack` of a folder into `out`; returns the tarball's path. */
function npmPack(dir) {
  const [info] = JSON.parse(execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", out], { cwd: dir, encoding: "utf8" }));
  return join(out, info.filename);
}

const stage = join(root, "dist", "pack", "taskdrop-client");
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
cpSync(built, stage, { recursive: true, filter: (p) => !p.endsWith(".map") });
writeFileSync(
  join(stage, "package.json"),
  JSON.stringify(
    {
      name: "taskdrop-client",
      version: pkg.version,
      description: "Typed client for Microsoft Graph's To Do lists, tasks and attachments, with resumable uploads: Node 20+ and browsers (the client of the taskdrop package, alone).",
      license: pkg.license,
      type: "module",
      engines: pkg.engines,
      exports: { ".": { types: "./index.d.ts", default: "./index.js" } },
      types: "./index.d.ts",
      sideEffects: false,
    },
    null,
    2,
  ) + "\n",
);
writeFileSync(
  join(stage, "README.md"),
  `# taskdrop-client\n\nThe client SDK of [Taskdrop](https://www.npmjs.com/package/taskdrop) alone: no dependencies, no native module.\n` +
    `It is the same code as \`taskdrop/client\`; see that package's docs/client.md.\n\n` +
    "```js\nimport { TaskdropClient } from \"taskdrop-client\";\n```\n",
);
const tarballs = [npmPack(stage)];
if (!clientOnly) tarballs.unshift(npmPack(root));
for (const t of tarballs) console.log(t);
