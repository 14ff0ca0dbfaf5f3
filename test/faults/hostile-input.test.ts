// Hostile input, fuzzed with fast-check against the real server process: every header and path the
// upload routes read (Content-Range, Content-Length, Content-Type, Host, client-request-id, ids,
// percent-encoding), names with control characters, path separators and any Unicode, and JSON
// bodies of every shape and size. The server never crashes, never answers 500 for bad input,
// never writes outside its data directory, never puts unescaped input into a response header,
// and the session under fire stays byte-exact.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { devUpn, devUserOid } from "../../src/auth/dev-issuer.js";
import { call } from "../helpers/http.js";
import { ProcessServer } from "../helpers/process-server.js";
import { filesUnder } from "../helpers/files.js";
import { attachmentBytes, finishUpload, makeSession, makeTask, sessionState, sha256, type TaskFixture } from "../helpers/fixtures.js";
import { head, RawConn, type RawResponse } from "../helpers/wire.js";

const RUNS = Number(process.env.TASKDROP_FUZZ_RUNS ?? (process.env.TASKDROP_SOAK === "1" ? 3_000 : 200));
/** The caller fuzz is cheap per request (keep-alive, no raw sockets): it carries most of a soak run. */
const CALLER_RUNS = Number(process.env.TASKDROP_FUZZ_CALLER_RUNS ?? (process.env.TASKDROP_SOAK === "1" ? 10_000 : Math.max(RUNS, 300)));
const SEED = process.env.TASKDROP_SEED ? Number(process.env.TASKDROP_SEED) : undefined;
const params = (runs: number) => ({ numRuns: runs, includeErrorInReport: true, ...(SEED !== undefined ? { seed: SEED } : {}) });

let parent: string;
let s: ProcessServer;
let task: TaskFixture;
let host: string;
before(async () => {
  // The data directory sits alone in a fresh parent, so a write outside it would show up there.
  parent = mkdtempSync(join(tmpdir(), "taskdrop-hostile-"));
  s = await ProcessServer.start({ dataDir: join(parent, "data"), flags: { "body-idle-timeout": 500 } });
  task = await makeTask(s.url, await s.token());
  host = new URL(s.url).host;
});
after(async () => {
  await s?.close();
  rmSync(parent, { recursive: true, force: true });
});

/** Every header name Taskdrop may answer with; anything else would be input leaking into headers. */
const KNOWN_HEADERS = new Set([
  "content-type", "content-length", "date", "connection", "keep-alive", "transfer-encoding", "request-id", "client-request-id",
  "location", "etag", "last-modified", "accept-ranges", "content-range", "content-disposition", "retry-after", "www-authenticate",
  "access-control-allow-origin", "access-control-expose-headers", "vary", "access-control-allow-credentials",
  "x-content-type-options", "content-security-policy",
  // The web page's own headers: a fuzzed path such as "//" may land on it.
  "cache-control", "content-encoding", "referrer-policy", "cross-origin-opener-policy", "x-frame-options",
]);
const SAFE_URL = /^https?:\/\/(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d+)?\/[A-Za-z0-9%._~!$&'()*+,;=:@/-]*$/;

/** What every answer to bad input must look like. */
function assertSane(r: RawResponse | undefined, what: string): RawResponse {
  assert.ok(r, `${what}: the server closed without an answer`);
  assert.ok(r.status < 500, `${what}: ${r.status} ${r.body.toString().slice(0, 300)}`);
  for (const name of Object.keys(r.headers)) assert.ok(KNOWN_HEADERS.has(name), `${what}: unexpected header ${JSON.stringify(name)}`);
  for (const line of r.head.split("\r\n")) assert.doesNotMatch(line, /[\x00-\x08\x0a-\x1f\x7f]/, `${what}: control character in ${JSON.stringify(line)}`);
  if (r.headers.location !== undefined) assert.match(r.headers.location, SAFE_URL, `${what}: Location`);
  if (r.status >= 400 && r.body.length > 0) {
    assert.equal(typeof r.json?.error?.code, "string", `${what}: not a Graph error: ${r.body.toString().slice(0, 200)}`);
    assert.match(r.headers["content-type"] ?? "", /^application\/json/);
  }
  return r;
}

/**
 * One request on its own connection. A request whose body is shorter than declared half-closes
 * after its bytes, as a client that gives up would, so the server sees its end at once rather than
 * waiting out the body idle timeout. (Node answers nothing to a half-closed complete request.)
 */
async function send(bytes: Buffer | string, halfClose = false): Promise<RawResponse | undefined> {
  const c = await RawConn.open(s.port);
  try {
    await c.write(bytes);
    if (halfClose) c.end();
    return await c.response(5_000);
  } finally {
    c.destroy();
  }
}

const headerSafe = (v: string) => !/[\r\n\0]/.test(v);
const numberish = fc.oneof(
  fc.integer({ min: 0, max: 1_100 }).map(String),
  fc.constantFrom("-1", "1e3", "0x10", "007", "99999999999999999999", "9007199254740993", " 5", "", "NaN", "+5", "5.0", "1,000"),
);
const anyHeaderValue = fc.oneof(fc.string({ unit: "binary-ascii", maxLength: 60 }), fc.string({ unit: "grapheme", maxLength: 30 })).filter(headerSafe);

describe("hostile input", () => {
  test(`fuzzed Content-Range / Content-Length / Content-Type on a live session (${RUNS} requests): never a 500, the bytes stay exact`, async () => {
    const SIZE = 1_000;
    const data = randomBytes(SIZE);
    const url = await makeSession(task, SIZE);
    const path = new URL(url).pathname;
    const contentRange = fc.oneof(
      fc.tuple(numberish, numberish, numberish).map(([a, b, t]) => `bytes ${a}-${b}/${t}`),
      fc.tuple(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 120 })).map(([a, n]) => `bytes ${a}-${a + n}/${SIZE}`),
      fc.constantFrom("bytes */0", `bytes */${SIZE}`, `bytes 0-999/*`, `bytes=0-999/${SIZE}`, `BYTES 0-9/${SIZE}`, `bytes 0-9/${SIZE}, bytes 10-19/${SIZE}`, `bytes  0-9/${SIZE}`, `bytes 9-0/${SIZE}`, "bytes", "", "bytes 0-/1000", "items 0-9/1000"),
      anyHeaderValue,
    );
    const contentLength = fc.option(fc.oneof(numberish, fc.constantFrom("10, 10", "abc", "-0")), { nil: undefined });
    const contentType = fc.option(fc.oneof(fc.constant("application/octet-stream"), fc.constantFrom("text/plain", "application/json", "application/octet-stream; charset=x", "APPLICATION/OCTET-STREAM", "*/*", ""), anyHeaderValue), { nil: undefined });
    const request = fc.record({ contentRange, contentLength, contentType, skew: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }) }), chunked: fc.boolean(), digest: fc.option(anyHeaderValue, { nil: undefined }) });

    await fc.assert(
      fc.asyncProperty(request, async (q) => {
        const headers: [string, string][] = [["Host", host], ["Connection", "close"], ["Content-Range", q.contentRange]];
        if (q.contentLength !== undefined) headers.push(["Content-Length", q.contentLength]);
        if (q.contentType !== undefined) headers.push(["Content-Type", q.contentType]);
        if (q.chunked) headers.push(["Transfer-Encoding", "chunked"]);
        if (q.digest !== undefined) headers.push(["Content-Digest", q.digest]);
        // The body: the source's bytes at the claimed offset, so anything the server accepts is right.
        const start = Number(/^bytes (\d+)-/.exec(q.contentRange)?.[1] ?? 0);
        const declared = /^\d+$/.test(q.contentLength ?? "") ? Number(q.contentLength) : 16;
        const len = Math.max(0, Math.min(declared, 1_200) + q.skew);
        const body = Buffer.concat([data.subarray(Math.min(start, SIZE), Math.min(start, SIZE) + len), randomBytes(Math.max(0, len - (SIZE - Math.min(start, SIZE))))]);
        const bytes = Buffer.concat([Buffer.from(head("PUT", path, headers.map(([k, v]) => [k, v]) as [string, string][]), "utf8"), body]);
        const short = /^\d+$/.test(q.contentLength ?? "") && !q.chunked && len < declared;
        const r = assertSane(await send(bytes, short), `PUT ${JSON.stringify(q)}`);
        assert.ok([200, 201, 400, 404, 411, 413, 415, 416, 409].includes(r.status), `unexpected ${r.status} for ${JSON.stringify(q)}`);
      }),
      params(RUNS),
    );
    // Whatever got through landed at its place with its own bytes: finishing gives the source back.
    assert.equal((await sessionState(url)).status, 200);
    const location = await finishUpload(url, data, 400);
    assert.equal(sha256(await attachmentBytes(location, task.token)), sha256(data));
  });

  test(`fuzzed paths, ids and percent-encoding on every upload route (${RUNS} requests): 4xx, never 500`, async () => {
    const url = await makeSession(task, 10);
    const real = /\/lists\/([^/]+)\/tasks\/([^/]+)\/attachmentSessions\/([^/]+)$/.exec(new URL(url).pathname)!;
    const [listId, taskId, sessionId] = [real[1]!, real[2]!, real[3]!].map(decodeURIComponent) as [string, string, string];
    const mutate = (id: string) =>
      fc.oneof(
        fc.constant(id),
        fc.constant(id.toLowerCase()),
        fc.constant(id.slice(0, -1)),
        fc.constant(`${id}x`),
        fc.constant(encodeURIComponent(id)),
        fc.integer({ min: 0, max: id.length - 1 }).map((i) => id.slice(0, i) + "%" + id.slice(i + 1)),
      );
    const junk = fc.oneof(
      fc.constantFrom("..", ".", "%2e%2e", "%2F", "%2f..%2f", "%00", "%zz", "%", "%%", "'", "''", "%27", "('x')", "(%27x%27)", "a".repeat(600), "%C0%AF", "%EF%BF%BF", "~", "*", "me", "$value", "null", "undefined", "__proto__", "constructor"),
      fc.string({ unit: "grapheme", maxLength: 40 }).map(encodeURIComponent),
      fc.string({ unit: fc.constantFrom(..."AZaz09%._~'()!*$&+,;=:@-/"), maxLength: 40 }),
    );
    const seg = (id: string) => fc.oneof(mutate(id), junk);
    const path = fc.oneof(
      fc.tuple(seg(listId), seg(taskId), seg(sessionId), fc.constantFrom("", "/content", "/content/x", "/")).map(([l, t, x, tail]) => `/v1.0/me/todo/lists/${l}/tasks/${t}/attachmentSessions/${x}${tail}`),
      fc.tuple(junk, seg(listId), seg(taskId), seg(sessionId)).map(([u, l, t, x]) => `/beta/users/${u}/todo/lists/${l}/tasks/${t}/attachmentSessions/${x}`),
      fc.tuple(seg(listId), seg(taskId), junk).map(([l, t, a]) => `/v1.0/me/todo/lists/${l}/tasks/${t}/attachments/${a}/$value`),
      fc.tuple(seg(listId), seg(taskId), junk).map(([l, t, a]) => `/v1.0/me/todo/lists/${l}/tasks/${t}/Attachments('${a}')`),
      fc.tuple(seg(listId), seg(taskId)).map(([l, t]) => `/v1.0/me/todo/lists/${l}/tasks/${t}/attachments/createUploadSession`),
      fc.tuple(junk, junk).map(([a, b]) => `/${a}/${b}`),
    );
    const request = fc.record({ method: fc.constantFrom("GET", "PUT", "DELETE", "POST", "PATCH", "HEAD"), path, auth: fc.boolean(), query: fc.option(junk, { nil: undefined }) });
    await fc.assert(
      fc.asyncProperty(request, async (q) => {
        const target = q.query === undefined ? q.path : `${q.path}?${q.query}`;
        if (/[\s\x00-\x1f\x7f]/.test(target)) return; // not a request line at all
        const body = q.method === "PUT" ? "0123456789" : q.method === "POST" || q.method === "PATCH" ? '{"attachmentInfo":{"attachmentType":"file","name":"x","size":1}}' : "";
        const headers: [string, string][] = [["Host", host], ["Content-Length", String(body.length)], ["Connection", "close"]];
        if (q.method === "PUT") headers.push(["Content-Range", "bytes 0-9/10"], ["Content-Type", "application/octet-stream"]);
        if (q.method === "POST" || q.method === "PATCH") headers.push(["Content-Type", "application/json"]);
        if (q.auth) headers.push(["Authorization", `Bearer ${task.token}`]);
        const r = assertSane(await send(head(q.method, target, headers) + body), `${q.method} ${target}`);
        if (q.method !== "HEAD" && r.status >= 400) assert.ok(r.json?.error, `${q.method} ${target}: error without a body`);
      }),
      params(RUNS),
    );
  });

  test(`fuzzed names, content types and JSON bodies for createUploadSession and small files (${Math.ceil(RUNS / 2)} each): accepted ones round-trip exactly`, async () => {
    const name = fc.oneof(
      fc.string({ unit: "grapheme", minLength: 1, maxLength: 120 }),
      fc.string({ unit: "binary", minLength: 1, maxLength: 40 }),
      fc.constantFrom("../../etc/passwd", "..", ".", "a/b", "a\\b", "\u0000", "nul\u0000.txt", "CON", "x\r\nSet-Cookie: a=b", "\u202egnp.exe", "📎 naïve résumé.pdf", " ", "\t", "a".repeat(256), "a".repeat(255), "%2e%2e%2f", "\ud800", "ok.txt"),
    );
    const contentType = fc.option(fc.oneof(fc.constantFrom("text/plain", "image/png; charset=x", "a/b\r\nx: y", "text/html\u0000", "é/è", "x", ""), anyHeaderValue), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(name, contentType, fc.boolean(), async (n, ct, small) => {
        const bytes = Buffer.from([1, 2, 3]);
        let location: string | null = null;
        if (small) {
          const r = await call("POST", `${task.taskUrl}/attachments`, {
            token: task.token,
            json: { "@odata.type": "#microsoft.graph.taskFileAttachment", name: n, contentBytes: bytes.toString("base64"), ...(ct !== undefined ? { contentType: ct } : {}) },
          });
          assert.ok(r.status === 201 || r.status === 400, `small POST ${JSON.stringify(n)}: ${r.status} ${r.text}`);
          if (r.status === 201) location = r.headers.get("location");
        } else {
          const r = await call("POST", `${task.taskUrl}/attachments/createUploadSession`, {
            token: task.token,
            json: { attachmentInfo: { attachmentType: "file", name: n, size: 3, ...(ct !== undefined ? { contentType: ct } : {}) } },
          });
          assert.ok(r.status === 200 || r.status === 400, `createUploadSession ${JSON.stringify(n)}: ${r.status} ${r.text}`);
          if (r.status === 200) {
            const u = new URL(r.json.uploadUrl);
            const fin = assertSane(await send(Buffer.concat([Buffer.from(head("PUT", u.pathname, [["Host", host], ["Content-Length", "3"], ["Content-Range", "bytes 0-2/3"]])), bytes])), "final PUT");
            assert.equal(fin.status, 201);
            location = fin.headers.location!;
          }
        }
        if (location === null) return;
        assert.match(location, SAFE_URL);
        const got = await call("GET", location, { token: task.token });
        assert.equal(got.status, 200);
        assert.equal(got.json.name, n, "the name comes back exactly");
        const u = new URL(`${location}/$value`);
        const value = assertSane(await send(head("GET", u.pathname, [["Host", host], ["Authorization", `Bearer ${task.token}`]])), "$value");
        assert.equal(value.status, 200);
        assert.deepEqual(value.body, bytes);
        assert.match(value.headers["content-disposition"] ?? "", /^attachment; filename\*=UTF-8''[A-Za-z0-9%!'()*._~-]*$/);
        assert.equal(await call("DELETE", location, { token: task.token }).then((d) => d.status), 204);
      }),
      params(Math.ceil(RUNS / 2)),
    );
  });

  test("fuzzed JSON bodies and body framing for createUploadSession: 400/413/415, never 500", async () => {
    const u = new URL(`${task.taskUrl}/attachments/createUploadSession`);
    const body = fc.oneof(
      fc.json({ maxDepth: 4 }),
      fc.anything({ maxDepth: 3 }).map((v) => { try { return JSON.stringify({ attachmentInfo: v }) ?? "null"; } catch { return "{}"; } }),
      fc.record({ attachmentType: fc.oneof(fc.constantFrom("file", "item", "reference", "FILE"), anyHeaderValue), name: fc.oneof(fc.string(), fc.integer(), fc.constant(null)), size: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(26_214_400, 26_214_401, -1, 2 ** 53, "5", null)) }).map((ai) => JSON.stringify({ attachmentInfo: ai })),
      fc.constantFrom("", "{", "[]", "null", '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', "[".repeat(50_000), '{"attachmentInfo":' + "[".repeat(10_000) + "]".repeat(10_000) + "}", "\ufeff{}", '{"a":1,"a":2}'),
      fc.string({ unit: "binary", maxLength: 200 }),
    );
    const ctype = fc.oneof(fc.constant("application/json"), fc.constantFrom("application/json; charset=utf-16", "text/plain", "application/x-www-form-urlencoded", "", "application/json;odata=verbose"), anyHeaderValue);
    await fc.assert(
      fc.asyncProperty(body, ctype, async (b, ct) => {
        const bytes = Buffer.from(b, "utf8");
        const r = assertSane(
          await send(Buffer.concat([Buffer.from(head("POST", u.pathname, [["Host", host], ["Authorization", `Bearer ${task.token}`], ["Content-Type", ct], ["Content-Length", String(bytes.length)]])), bytes])),
          `POST ${JSON.stringify(b.slice(0, 80))} as ${JSON.stringify(ct)}`,
        );
        assert.ok([200, 400, 413, 415].includes(r.status), `${r.status} ${r.body.toString().slice(0, 200)}`);
        if (r.status === 200) assert.equal((await call("DELETE", r.json.uploadUrl)).status, 204);
      }),
      params(RUNS),
    );
  });

  test("fuzzed Host and client-request-id: never echoed into a header or URL unless they are safe", async () => {
    const hostArb = fc.oneof(
      fc.constantFrom(host, "example.com", "example.com:8443", "[::1]:8080", "evil.com/x?y", "a b", "x\"y", "<script>", "[::1]:99999", "localhost:0", "", "a..b", "-a.com", "é.com", "host:80:80", "x@y", "a%20b", "127.0.0.1:1/"),
      anyHeaderValue,
    );
    const cridArb = fc.option(fc.oneof(fc.uuid(), anyHeaderValue, fc.constant("a".repeat(101)), fc.constant("ok-id:1.2_3")), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(hostArb, cridArb, async (h, crid) => {
        const json = Buffer.from(JSON.stringify({ attachmentInfo: { attachmentType: "file", name: "h.bin", size: 2 } }));
        const u = new URL(`${task.taskUrl}/attachments/createUploadSession`);
        const headers: [string, string][] = [["Host", h], ["Authorization", `Bearer ${task.token}`], ["Content-Type", "application/json"], ["Content-Length", String(json.length)]];
        if (crid !== undefined) headers.push(["client-request-id", crid]);
        const r = assertSane(await send(Buffer.concat([Buffer.from(head("POST", u.pathname, headers)), json])), `Host ${JSON.stringify(h)}`);
        const echoed = r.headers["client-request-id"];
        if (crid !== undefined && echoed === crid) assert.match(crid, /^[A-Za-z0-9._:-]{1,100}$/, "only a safe client-request-id is echoed");
        if (r.status !== 200) return;
        const uploadUrl: string = r.json.uploadUrl;
        assert.match(uploadUrl, SAFE_URL, `uploadUrl for Host ${JSON.stringify(h)}`);
        const up = new URL(uploadUrl);
        const fin = assertSane(
          await send(Buffer.concat([Buffer.from(head("PUT", up.pathname, [["Host", h], ["Content-Length", "2"], ["Content-Range", "bytes 0-1/2"]])), Buffer.from("ok")])),
          `final PUT with Host ${JSON.stringify(h)}`,
        );
        assert.equal(fin.status, 201);
        assert.equal(new URL(fin.headers.location!).host, up.host, "Location uses the same base as uploadUrl");
      }),
      params(Math.ceil(RUNS / 2)),
    );
  });

  test(`fuzzed callers (${CALLER_RUNS} requests): read-only, foreign, app and anonymous callers change nothing of alice's`, async () => {
    const owner = await makeTask(s.url, await s.token("alice"));
    const aliceOid = devUserOid("alice");
    const data = randomBytes(30);
    const small = await call("POST", `${owner.taskUrl}/attachments`, { token: owner.token, json: { "@odata.type": "#microsoft.graph.taskFileAttachment", name: "kept.txt", contentBytes: data.toString("base64") } });
    assert.equal(small.status, 201, small.text);
    const attachmentId = small.json.id as string;
    const uploadUrl = await makeSession(owner, data.length, "open.bin");
    assert.equal((await call("PUT", uploadUrl, { body: data.subarray(0, 10), headers: { "content-type": "application/octet-stream", "content-range": `bytes 0-9/${data.length}` } })).status, 200);
    const callers = {
      aliceReadOnly: await s.mint(["--user", "alice", "--scopes", "Tasks.Read"]),
      mallory: await s.mint(["--user", "mallory"]),
      appReadOnly: await s.mint(["--app", "reporter", "--roles", "Tasks.Read.All"]),
      garbage: "not.a.token",
      anonymous: undefined,
    } as const;
    // What a read-only caller can learn: the sessions listing, and the URL its id makes.
    const listed = await call("GET", `${owner.taskUrl}/attachmentSessions`, { token: callers.aliceReadOnly });
    assert.equal(listed.status, 200, listed.text);
    const listedUrl = `${owner.taskUrl}/attachmentSessions/${encodeURIComponent(listed.json.value[0].id)}`;

    /** Everything alice can see of her To Do, bytes included (as SHA-256). */
    const state = async () => {
      const get = async (url: string) => {
        const r = await call("GET", url, { token: owner.token });
        assert.equal(r.status, 200, `${url}: ${r.status}`);
        return r.json;
      };
      const out: unknown[] = [];
      for (const l of (await get(`${owner.todo}/lists?$top=999`)).value) {
        out.push(l);
        for (const t of (await get(`${owner.todo}/lists/${encodeURIComponent(l.id)}/tasks?$top=999`)).value) {
          const taskUrl = `${owner.todo}/lists/${encodeURIComponent(l.id)}/tasks/${encodeURIComponent(t.id)}`;
          out.push(t);
          for (const a of (await get(`${taskUrl}/attachments`)).value) out.push(a, sha256(await attachmentBytes(`${taskUrl}/attachments/${encodeURIComponent(a.id)}`, owner.token)));
          out.push((await get(`${taskUrl}/attachmentSessions`)).value);
        }
      }
      out.push(await sessionState(uploadUrl));
      return out;
    };
    const before = await state();

    const principal = fc.constantFrom("/me", `/users/${aliceOid}`, `/users/${devUpn("alice")}`, "/users/mallory@taskdrop.local");
    const json = {
      list: { displayName: "pwned" },
      task: { title: "pwned" },
      small: { "@odata.type": "#microsoft.graph.taskFileAttachment", name: "pwned.txt", contentBytes: "cHduZWQ=" },
      session: { attachmentInfo: { attachmentType: "file", name: "pwned.bin", size: 3 } },
    };
    const L = encodeURIComponent(owner.listId);
    const T = encodeURIComponent(owner.taskId);
    const A = encodeURIComponent(attachmentId);
    // [path under {version}{principal}/todo, the methods it serves, the body a write there would carry]
    const targets: Array<[string, string[], unknown]> = [
      ["/lists", ["GET", "POST"], json.list], [`/lists/${L}`, ["GET", "PATCH", "DELETE"], json.list],
      [`/lists/${L}/tasks`, ["GET", "POST"], json.task], [`/lists/${L}/tasks/${T}`, ["GET", "PATCH", "DELETE"], json.task],
      [`/lists/${L}/tasks/${T}/attachments`, ["GET", "POST"], json.small], [`/lists/${L}/tasks/${T}/attachments/${A}`, ["GET", "DELETE"], undefined],
      [`/lists/${L}/tasks/${T}/Attachments('${A}')`, ["GET", "DELETE"], undefined], [`/lists/${L}/tasks/${T}/attachments/${A}/$value`, ["GET"], undefined],
      [`/lists/${L}/tasks/${T}/attachments/createUploadSession`, ["POST"], json.session], [`/lists/${L}/tasks/${T}/attachmentSessions`, ["GET"], undefined],
    ];
    const SESSION_METHODS = ["GET", "PUT", "DELETE"];
    const sessionUrls = fc.constantFrom(listedUrl, `${listedUrl}/content`, uploadUrl, `${uploadUrl}/content`);
    const request = fc.record({
      caller: fc.constantFrom(...(Object.keys(callers) as (keyof typeof callers)[])),
      // Mostly a method the target serves (so that only authorisation stands between it and a change), sometimes any.
      method: fc.oneof({ weight: 9, arbitrary: fc.nat(2) }, { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PATCH", "PUT", "DELETE") }),
      version: fc.constantFrom("v1.0", "beta"),
      principal,
      target: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...targets.keys()) }, { weight: 2, arbitrary: sessionUrls }),
      scheme: fc.constantFrom("Bearer", "bearer", "BEARER"),
    });
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(request, async (q) => {
        const token = callers[q.caller];
        // The real uploadUrl is the owner's capability: only a caller holding a token is tried on it
        // (the anonymous caller knows only what the listing shows).
        if (typeof q.target === "string" && q.caller === "anonymous" && q.target.startsWith(uploadUrl)) return;
        let url: string;
        let body: unknown;
        let served: string[];
        if (typeof q.target === "string") [url, served] = [q.target, SESSION_METHODS];
        else [url, served, body] = [`${s.url}/${q.version}${q.principal}/todo${targets[q.target]![0]}`, targets[q.target]![1], targets[q.target]![2]];
        const method = typeof q.method === "string" ? q.method : served[q.method % served.length]!;
        const headers: Record<string, string> = {};
        if (token !== undefined) headers.authorization = `${q.scheme} ${token}`;
        let r;
        if (method === "PUT" && typeof q.target === "string") {
          // The bytes the session expects next: a write that must be refused would otherwise succeed.
          r = await call("PUT", url, { body: data.subarray(10, 20), headers: { ...headers, "content-type": "application/octet-stream", "content-range": `bytes 10-19/${data.length}` } });
        } else {
          r = await call(method, url, { headers, ...(method === "POST" || method === "PATCH" || method === "PUT" ? { json: body ?? {} } : {}) });
        }
        const key = `${q.caller} ${method} ${r.status}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
        assert.ok(r.status < 500, `${key} ${url}: ${r.text.slice(0, 200)}`);
        // Mallory may of course write her own To Do (her /me, her /users/{upn}); nobody may write alice's.
        const ownData = q.caller === "mallory" && typeof q.target === "number" && q.principal !== `/users/${aliceOid}` && q.principal !== `/users/${devUpn("alice")}`;
        if (method !== "GET" && !ownData) assert.ok(r.status >= 400, `${q.caller} ${method} ${url} was answered ${r.status}: ${r.text.slice(0, 200)}`);
      }),
      params(CALLER_RUNS),
    );
    assert.deepEqual(await state(), before, "alice's To Do after the run");
    console.log(`# callers fuzz: ${[...seen].sort().map(([k, n]) => `${k}: ${n}`).join(", ")}`);
  });

  test("after all of it: alive, nothing logged as an error, nothing written outside the data directory", () => {
    assert.ok(s.alive, "the server process is still running");
    assert.deepEqual(s.errorLogs(), []);
    assert.deepEqual(readdirSync(parent), ["data"]);
    for (const f of filesUnder(join(parent, "data")).keys()) {
      assert.match(f, /^(taskdrop\.db(-wal|-shm)?|taskdrop\.pid|taskdrop\.lock|signing-key\.json|blobs\/[0-9a-f]{2}\/[0-9a-f-]{36})$/, `unexpected file ${f}`);
    }
  });
});
