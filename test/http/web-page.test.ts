// The page's files and sign-in endpoint over HTTP: caching headers, compression, the page's CSP,
// the settings handed to the page, and the development token endpoint refused to any other origin
// (and absent with --auth-issuer).
import assert from "node:assert/strict";
import { gunzipSync, brotliDecompressSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { call, graphError } from "../helpers/http.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const assetsOf = (html: string) => [...html.matchAll(/(?:src|href)="\.\/(assets\/[^"]+)"/g)].map((m) => m[1]!);

describe("the web page's files", () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => s?.close());

  test("GET / is the page: HTML, revalidated, with a strict CSP and the development settings", async () => {
    const r = await call("GET", `${s.url}/`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get("content-type")!, /^text\/html; charset=utf-8/);
    assert.equal(r.headers.get("cache-control"), "no-cache");
    assert.ok(r.headers.get("etag"));
    const csp = r.headers.get("content-security-policy")!;
    for (const d of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"]) {
      assert.ok(csp.split("; ").includes(d), `CSP has ${d}: ${csp}`);
    }
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(r.headers.get("referrer-policy"), "no-referrer");
    assert.equal(r.headers.get("x-content-type-options"), "nosniff");
    assert.match(r.text, /<meta name="taskdrop-config" content="\{&quot;auth&quot;:&quot;dev&quot;\}">/);
    assert.doesNotMatch(r.text, /<script(?![^>]*\bsrc=)[^>]*>/, "no inline script");
    assert.ok(assetsOf(r.text).some((a) => a.endsWith(".js")) && assetsOf(r.text).some((a) => a.endsWith(".css")));
  });

  test("hashed assets are immutable for a year; compressed as the client accepts; 304 on If-None-Match", async () => {
    const html = (await call("GET", `${s.url}/`)).text;
    const js = assetsOf(html).find((a) => a.endsWith(".js"))!;
    const plain = await call("GET", `${s.url}/${js}`, { headers: { "accept-encoding": "identity" } });
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.match(plain.headers.get("content-type")!, /^text\/javascript/);
    assert.equal(plain.headers.get("content-encoding"), null);
    assert.match(plain.headers.get("vary")!, /Accept-Encoding/);

    // fetch would decode for us: read the raw bytes through node:http instead.
    const raw = async (encoding: string, path = js) => {
      const { request } = await import("node:http");
      return new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
        request(`${s.url}/${path}`, { headers: { "accept-encoding": encoding } }, (res) => {
          const parts: Buffer[] = [];
          res.on("data", (c: Buffer) => parts.push(c));
          res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
        })
          .on("error", reject)
          .end();
      });
    };
    const br = await raw("gzip, deflate, br");
    assert.equal(br.headers["content-encoding"], "br");
    assert.deepEqual(brotliDecompressSync(br.body), plain.bytes);
    const gz = await raw("gzip");
    assert.equal(gz.headers["content-encoding"], "gzip");
    assert.deepEqual(gunzipSync(gz.body), plain.bytes);
    assert.notEqual(gz.headers.etag, br.headers.etag, "each encoding is its own representation");
    assert.equal((await raw("br;q=0, gzip;q=0")).headers["content-encoding"], undefined);
    // The JS budget: at most 100 KB gzipped for everything the page loads.
    let total = 0;
    for (const a of assetsOf(html).filter((x) => x.endsWith(".js"))) total += (await raw("gzip", a)).body.length;
    assert.ok(total <= 100_000, `the page's JS is ${total} bytes gzipped`);

    const etag = plain.headers.get("etag")!;
    const again = await call("GET", `${s.url}/${js}`, { headers: { "if-none-match": etag } });
    assert.equal(again.status, 304);
    assert.equal(again.text, "");
    assert.equal((await call("GET", `${s.url}/`, { headers: { "if-none-match": (await call("GET", `${s.url}/`)).headers.get("etag")! } })).status, 304);
    assert.equal((await call("HEAD", `${s.url}/${js}`)).status, 200);
  });

  test("an unknown asset is a Graph 404; other unknown paths stay Graph's 400", async () => {
    const r = await call("GET", `${s.url}/assets/nothing-here.js`);
    assert.equal(r.status, 404);
    assert.equal(graphError(r).code, "itemNotFound");
    const other = await call("GET", `${s.url}/index.php`);
    assert.equal(other.status, 400);
  });
});

describe("the development token endpoint", () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => s?.close());
  /** node:http, not fetch: fetch will not send a Host of our choosing (the rebinding case needs one). */
  const post = async (headers: Record<string, string>, json: unknown = { user: "page-user" }) => {
    const { request } = await import("node:http");
    const body = typeof json === "string" ? json : JSON.stringify(json);
    return new Promise<{ status: number; headers: Headers; json: any; text: string }>((resolve, reject) => {
      request(`${s.url}/_taskdrop/web/token`, { method: "POST", headers: { "content-type": "application/json", ...headers } }, (res) => {
        const parts: Buffer[] = [];
        res.on("data", (c: Buffer) => parts.push(c));
        res.on("end", () => {
          const text = Buffer.concat(parts).toString("utf8");
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") h.set(k, v);
          resolve({ status: res.statusCode!, headers: h, json: JSON.parse(text), text });
        });
      })
        .on("error", reject)
        .end(body);
    });
  };

  test("the page's own origin gets a token for the user, which the API accepts", async () => {
    const r = await post({ origin: s.url, "sec-fetch-site": "same-origin" });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("cache-control"), "no-store");
    assert.equal(r.json.token_type, "Bearer");
    assert.equal(r.json.user, "page-user");
    const lists = await call("GET", `${s.url}/v1.0/me/todo/lists`, { token: r.json.access_token });
    assert.equal(lists.status, 200);
    const me = JSON.parse(Buffer.from(r.json.access_token.split(".")[1], "base64url").toString());
    assert.equal(me.preferred_username, "page-user@taskdrop.local");
    assert.equal(me.scp, "Tasks.ReadWrite");
  });

  test("any other origin, no origin, a cross-site fetch or a rebinding host name is refused with 403", async () => {
    const port = new URL(s.url).port;
    const cases: [string, Record<string, string>][] = [
      ["another site", { origin: "https://evil.example" }],
      ["another port", { origin: `http://127.0.0.1:${Number(port) + 1}` }],
      ["no Origin", {}],
      ["Origin null", { origin: "null" }],
      ["Sec-Fetch-Site cross-site", { origin: s.url, "sec-fetch-site": "cross-site" }],
      ["a DNS-rebinding name", { origin: `http://rebind.example:${port}`, host: `rebind.example:${port}` }],
    ];
    for (const [what, headers] of cases) {
      const r = await post(headers);
      assert.equal(r.status, 403, what);
      assert.equal(r.json.error.code, "accessDenied", what);
      assert.equal(r.json.access_token, undefined, what);
    }
    // localhost is a loopback name: allowed.
    const ok = await post({ origin: `http://localhost:${port}`, host: `localhost:${port}` });
    assert.equal(ok.status, 200);
  });

  test("a bad user name or body is a 400 in Graph's shape", async () => {
    for (const json of [{}, { user: "" }, { user: "a b" }, { user: "x".repeat(65) }, { user: 5 }, "[]"]) {
      const r = await post({ origin: s.url }, json);
      assert.equal(r.status, 400, JSON.stringify(json));
      assert.equal(r.json.error.code, "invalidRequest");
    }
    const text = await call("POST", `${s.url}/_taskdrop/web/token`, { body: "user=alice", headers: { origin: s.url, "content-type": "application/x-www-form-urlencoded" } });
    assert.equal(text.status, 415);
  });

  test("with --public-url the page's origin is the public one", async () => {
    const p = await startTestServer({ publicUrl: "https://todo.example.com" });
    try {
      const own = await call("POST", `${p.url}/_taskdrop/web/token`, { json: { user: "pub" }, headers: { origin: "https://todo.example.com" } });
      assert.equal(own.status, 200);
      const local = await call("POST", `${p.url}/_taskdrop/web/token`, { json: { user: "pub" }, headers: { origin: p.url } });
      assert.equal(local.status, 403);
    } finally {
      await p.close();
    }
  });
});

describe("the page with --auth-issuer", () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ authIssuer: "https://login.example.com/tenant/v2.0", authAudience: "api://taskdrop", webClientId: "taskdrop-page" });
  });
  after(async () => s?.close());

  test("there is no development token endpoint", async () => {
    const r = await call("POST", `${s.url}/_taskdrop/web/token`, { json: { user: "alice" }, headers: { origin: s.url } });
    assert.equal(r.status, 404);
    assert.equal(r.json.access_token, undefined);
  });

  test("the page is told the issuer and client id, and may call the issuer (connect-src)", async () => {
    const r = await call("GET", `${s.url}/`);
    assert.equal(r.status, 200);
    const meta = /<meta name="taskdrop-config" content="([^"]*)">/.exec(r.text)![1]!.replace(/&quot;/g, '"').replace(/&amp;/g, "&");
    assert.deepEqual(JSON.parse(meta), { auth: "oidc", issuer: "https://login.example.com/tenant/v2.0", clientId: "taskdrop-page", scopes: "openid profile" });
    assert.ok(r.headers.get("content-security-policy")!.includes("connect-src 'self' https://login.example.com"));
  });
});
