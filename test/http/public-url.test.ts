// The base of every absolute URL Taskdrop emits (uploadUrl, Location, @odata.nextLink,
// @odata.context): --public-url when set, else the request's scheme and Host, with
// X-Forwarded-Proto/Host honoured only under --trust-proxy. A Host that is not a plain
// host[:port] never reaches an emitted URL.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { loadConfig } from "../../src/config.js";
import { isValidHost } from "../../src/http/public-url.js";
import { sendRequest, type RawResponse } from "../helpers/wire.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

type RawRes = RawResponse & { text: string };

/** A raw request, so the Host header (and every other) is exactly what the test says. */
async function raw(server: string, method: string, path: string, headers: Record<string, string>, body?: Buffer | string): Promise<RawRes> {
  const fields = { ...headers, connection: "close", ...(body !== undefined ? { "content-length": String(Buffer.byteLength(body)) } : {}) };
  const r = await sendRequest(new URL(path, server).href, method, fields, body).response;
  return { ...r, text: r.body.toString("utf8") };
}

/** Every absolute URL in a JSON value. */
function urlsIn(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string" && /^[a-z][a-z0-9+.-]*:\/\//i.test(v)) out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => urlsIn(x, out));
  else if (v && typeof v === "object") Object.values(v).forEach((x) => urlsIn(x, out));
  return out;
}

/**
 * Walks every kind of response that carries an absolute URL, with the same extra headers on each
 * request, and returns what it saw: the URLs (bodies and Location headers) and the raw texts.
 */
async function tour(s: TestServer, headers: Record<string, string>): Promise<{ urls: string[]; texts: string[] }> {
  const token = await s.token();
  const h = { ...headers, authorization: `Bearer ${token}`, "content-type": "application/json" };
  const urls: string[] = [];
  const texts: string[] = [];
  const seen = (r: RawRes, expect: number) => {
    assert.equal(r.status, expect, `${r.status} ${r.text.slice(0, 300)}`);
    urls.push(...urlsIn(r.json));
    if (typeof r.headers.location === "string") urls.push(r.headers.location);
    texts.push(r.text, JSON.stringify(r.headers));
    return r;
  };
  const me = "/v1.0/me/todo";
  const list = seen(await raw(s.url, "POST", `${me}/lists`, h, JSON.stringify({ displayName: "L" })), 201).json;
  seen(await raw(s.url, "POST", `${me}/lists`, h, JSON.stringify({ displayName: "M" })), 201);
  const page = seen(await raw(s.url, "GET", `${me}/lists?$top=1`, h), 200).json;
  assert.ok(page["@odata.nextLink"], "a nextLink to check");
  const tasks = `${me}/lists/${encodeURIComponent(list.id)}/tasks`;
  const task = seen(await raw(s.url, "POST", tasks, h, JSON.stringify({ title: "T" })), 201).json;
  const taskPath = `${tasks}/${encodeURIComponent(task.id)}`;
  seen(await raw(s.url, "GET", taskPath, h), 200);
  const ses = seen(
    await raw(s.url, "POST", `${taskPath}/attachments/createUploadSession`, h, JSON.stringify({ attachmentInfo: { attachmentType: "file", name: "a.bin", size: 3 } })),
    200,
  ).json;
  // The uploadUrl names some other host (and maybe a proxy's path prefix); from /v1.0/ on is this server's.
  const uploadPath = new URL(ses.uploadUrl).pathname;
  const sessionPath = uploadPath.slice(uploadPath.indexOf("/v1.0/"));
  const put = { ...headers, "content-type": "application/octet-stream", "content-range": "bytes 0-2/3", "content-length": "3" };
  seen(await raw(s.url, "PUT", sessionPath, put, Buffer.from("abc")), 201);
  seen(await raw(s.url, "GET", sessionPath, headers), 200); // after completion: Location again
  seen(await raw(s.url, "POST", `${taskPath}/attachments`, h, JSON.stringify({ "@odata.type": "#microsoft.graph.taskFileAttachment", name: "s.txt", contentBytes: "aGk=" })), 201);
  seen(await raw(s.url, "GET", `${taskPath}/attachments`, h), 200);
  // uploadUrl, nextLink, five Locations and the @odata.context of each body at least.
  assert.ok(urls.length >= 14, `saw only ${urls.length} URLs`);
  return { urls, texts };
}

function allStartWith(urls: string[], base: string): void {
  for (const u of urls) assert.ok(u.startsWith(`${base}/v1.0/`), `${u} should start with ${base}/v1.0/`);
}

describe("without --public-url", () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  test("URLs follow the request's Host", async () => {
    const { urls } = await tour(s, { host: "todo.example:8443" });
    allStartWith(urls, "http://todo.example:8443");
    const v6 = await tour(s, { host: "[::1]:9000" });
    allStartWith(v6.urls, "http://[::1]:9000");
  });

  test("X-Forwarded-Host/Proto change nothing without --trust-proxy", async () => {
    const { urls, texts } = await tour(s, { host: "todo.example", "x-forwarded-host": "forged.example", "x-forwarded-proto": "https" });
    allStartWith(urls, "http://todo.example");
    assert.ok(!texts.some((t) => t.includes("forged.example")));
  });

  test("a Host that is not a valid host[:port] is never echoed; the listening address is used", async () => {
    const listening = s.url; // http://127.0.0.1:PORT
    for (const host of [
      "evil.example/phish?x=",
      "evil.example#frag",
      "user@evil.example",
      'evil.example"><script>alert(1)</script>',
      "evil.example:99999",
      "evil.example:1:2",
      "evil .example",
      "evil..example",
      "-evil.example",
      "[evil.example]",
      "evil.example\\@x",
      "%65vil.example",
    ]) {
      const { urls, texts } = await tour(s, { host });
      allStartWith(urls, listening);
      assert.ok(!texts.some((t) => t.toLowerCase().includes("evil")), `Host ${JSON.stringify(host)} leaked into a response`);
    }
  });

  test("isValidHost accepts names, IPv4, bracketed IPv6 and ports up to 65535 only", () => {
    for (const ok of ["localhost", "localhost:8443", "a-b.example.com", "127.0.0.1:1", "[::1]", "[::1]:65535", "xn--bcher-kva.example"]) {
      assert.equal(isValidHost(ok), true, ok);
    }
    for (const bad of ["", ":80", "a:65536", "a:", "a b", "a/b", "a?b", "a#b", "u@a", "[::1", "::1", "a_b", "a.-b", `${"a".repeat(64)}.example`]) {
      assert.equal(isValidHost(bad), false, bad);
    }
  });
});

describe("with --trust-proxy", () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ trustProxy: true });
  });
  after(() => s.close());

  test("X-Forwarded-Proto and X-Forwarded-Host set the base", async () => {
    const { urls } = await tour(s, { host: "internal:8080", "x-forwarded-proto": "https", "x-forwarded-host": "todo.example.com" });
    allStartWith(urls, "https://todo.example.com");
    // Several proxies: the first (client-facing) value counts.
    const chained = await tour(s, { host: "internal:8080", "x-forwarded-proto": "https, http", "x-forwarded-host": "front.example, internal:8080" });
    allStartWith(chained.urls, "https://front.example");
  });

  test("unusable forwarded values fall back to the Host and the real scheme", async () => {
    const { urls, texts } = await tour(s, { host: "internal:8080", "x-forwarded-proto": "javascript", "x-forwarded-host": "evil.example/x?" });
    allStartWith(urls, "http://internal:8080");
    assert.ok(!texts.some((t) => t.includes("evil") || t.includes("javascript")));
  });
});

describe("with --public-url", () => {
  let s: TestServer;
  before(async () => {
    // trust-proxy as well: the configured base still wins over any header.
    s = await startTestServer({ publicUrl: "https://todo.example.com/graph/", trustProxy: true });
  });
  after(() => s.close());

  test("every URL starts with it, whatever Host and X-Forwarded-* say", async () => {
    const { urls, texts } = await tour(s, { host: "other.example:1234", "x-forwarded-host": "forged.example", "x-forwarded-proto": "http" });
    allStartWith(urls, "https://todo.example.com/graph");
    assert.ok(!texts.some((t) => t.includes("forged.example") || t.includes("other.example")));
  });

  test("TASKDROP_PUBLIC_URL sets it too; a flag beats the variable; a non-URL is refused", () => {
    assert.equal(loadConfig({}, { TASKDROP_PUBLIC_URL: "https://a.example/" }).publicUrl, "https://a.example");
    assert.equal(loadConfig({ publicUrl: "https://b.example" }, { TASKDROP_PUBLIC_URL: "https://a.example" }).publicUrl, "https://b.example");
    assert.equal(loadConfig({}, { TASKDROP_TRUST_PROXY: "true" }).trustProxy, true);
    assert.throws(() => loadConfig({ publicUrl: "todo.example.com" }, {}), /--public-url must be an absolute URL/);
    assert.throws(() => loadConfig({ publicUrl: "ftp://todo.example.com" }, {}), /http\(s\)/);
  });
});
