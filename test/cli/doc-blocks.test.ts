// The walk-throughs in docs/ that start servers of their own (HTTPS and Microsoft's SDKs, two
// PostgreSQL instances) run as written, one doc at a time in an empty folder: a block that is only
// `npx taskdrop serve …` starts that server (on a free port standing in for the doc's), every other
// shell block runs as one paste in a fresh `bash -eo pipefail` against the servers started so far,
// and a script block whose first line names a file (`// upload.mjs — …`) is saved under that name
// first, as the doc asks the reader to. A block marked `<!-- not run: why -->` is skipped.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import pg from "pg";
import { postgresSkipReason, TEST_DATABASE_URL } from "../helpers/postgres.js";
import { ProcessServer } from "../helpers/process-server.js";
import { bash, folderWithCli } from "../helpers/shell-blocks.js";

const ROOT = new URL("../../../", import.meta.url).pathname;

interface Block {
  lang: "sh" | "js";
  text: string;
  skip?: string;
}

function blocksOf(doc: string): Block[] {
  const text = readFileSync(join(ROOT, doc), "utf8");
  return [...text.matchAll(/(?:<!-- not run: ([^>]*?) -->\n)?^```(sh|js)\n([\s\S]*?)^```$/gm)].map((m) => ({
    lang: m[2] as "sh" | "js",
    text: m[3]!,
    ...(m[1] ? { skip: m[1] } : {}),
  }));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const SERVE = /^npx taskdrop serve(?<flags>(?: [^\n]*)?)\n$/;

/** `--https --session-casing camel --port 18080` → ProcessServer flags and the port the doc means. */
function serveFlags(line: string): { flags: Record<string, string | true>; docPort: number } {
  const words = line.trim().split(/\s+/).filter(Boolean);
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < words.length; i++) {
    const name = words[i]!.replace(/^--/, "");
    const next = words[i + 1];
    if (next !== undefined && !next.startsWith("--")) {
      flags[name] = next;
      i++;
    } else flags[name] = true;
  }
  const docPort = flags.port ? Number(flags.port) : flags.https ? 8443 : 8080;
  delete flags.port;
  return { flags, docPort };
}

describe("docs/https-and-sdks.md", () => {
  const blocks = blocksOf("docs/https-and-sdks.md");
  const folder = folderWithCli();
  const ports = new Map<number, number>();
  let server: ProcessServer | undefined;
  after(() => server?.close());
  const swap = (text: string) => [...ports].reduce((t, [doc, real]) => t.replaceAll(`:${doc}`, `:${real}`), text);

  test("it has the blocks this test expects: servers to start, pastes to run, scripts to save", () => {
    assert.ok(blocks.filter((b) => b.lang === "sh" && SERVE.test(b.text)).length >= 3);
    assert.ok(blocks.filter((b) => b.lang === "js").length >= 2);
    assert.ok(blocks.filter((b) => b.skip).length <= 1, "at most the own-certificate block is not run");
  });

  blocks.forEach((b, i) => {
    const title = `block ${i + 1}: ${b.skip ? `not run (${b.skip})` : b.text.split("\n").find((l) => l && !l.startsWith("#"))!.slice(0, 60)}`;
    test(title, { skip: b.skip !== undefined }, async () => {
      if (b.lang === "js") {
        const name = /^\/\/ (\S+\.mjs)\b/.exec(b.text)?.[1];
        assert.ok(name, "a script block names its file on its first line");
        writeFileSync(join(folder, name), swap(b.text));
        return;
      }
      const serve = SERVE.exec(b.text);
      if (serve) {
        await server?.close();
        const { flags, docPort } = serveFlags(serve.groups!.flags!);
        server = await ProcessServer.start({ dataDir: join(folder, "data"), flags });
        ports.set(docPort, server.port);
        return;
      }
      assert.ok(server, "a server is started before the first paste");
      const r = await bash(swap(b.text), folder);
      assert.equal(r.code, 0, r.out);
      assert.doesNotMatch(r.out, /command not found|No such file/, r.out);
      if (/node (upload|kiota)\.mjs/.test(b.text)) assert.match(r.out, /\/Attachments\('AQMkA[^']*'\)$/m, r.out);
      if (/createUploadSession/.test(b.text) && /PUT/.test(b.text)) assert.match(r.out, /^HTTP\/1\.1 201 Created$/m, r.out);
      if (/public-url|todo\.example\.com/.test(b.text) && /curl -s http/.test(b.text)) assert.match(r.out, /"@odata\.context":"https:\/\/todo\.example\.com\/v1\.0\/\$metadata#/, r.out);
      if (/curl -sS https:\/\/localhost/.test(b.text)) assert.match(r.out, /SSL certificate problem/, "without --cacert curl refuses the certificate");
      if (/-X OPTIONS/.test(b.text)) assert.match(r.out, /^access-control-allow-origin: https:\/\/app\.example\.com\r?$/m, r.out);
    });
  });
});

describe("docs/postgresql.md", async () => {
  const skip = await postgresSkipReason();
  const blocks = blocksOf("docs/postgresql.md");
  const database = `taskdrop_docs_${randomBytes(4).toString("hex")}`;
  const admin = () => new pg.Client({ connectionString: TEST_DATABASE_URL });
  after(async () => {
    if (skip) return;
    const c = admin();
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await c.end();
  });

  test("the two-instance walk-through: one upload through both instances, byte-identical from each", { skip }, async () => {
    const runnable = blocks.filter((b) => b.lang === "sh" && !b.skip);
    assert.equal(runnable.length, 1, "one runnable block (the other names your own database server)");
    const [a, b] = [await freePort(), await freePort()];
    const base = new URL(TEST_DATABASE_URL);
    const script = runnable[0]!.text
      .replaceAll("18081", String(a))
      .replaceAll("18082", String(b))
      .replaceAll("taskdrop_demo", database)
      .replace(/-h 127\.0\.0\.1 -U postgres/, `-h ${base.hostname} -p ${base.port || 5432} -U ${base.username || "postgres"}`)
      .replace(/postgres:\/\/postgres@127\.0\.0\.1:5432\//, `postgres://${base.username || "postgres"}@${base.hostname}:${base.port || 5432}/`);
    const folder = folderWithCli();
    const r = await bash(script, folder);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /"NextExpectedRanges":\["600000"\]/, r.out);
    assert.match(r.out, /^B: identical$/m, r.out);
    assert.match(r.out, /^A: identical$/m, r.out);
  });
});
