// Pure logic of the web page and its serving: sizes and durations in words, the refusal before
// any request, the speed estimate, file fingerprints, PKCE, the same-origin rule of the
// development token endpoint, and content negotiation of the page's files.
import assert from "node:assert/strict";
import { test } from "node:test";
import { chooseEncoding, notModified, pageCsp, withSettings, type PageFile } from "../../src/http/web-page.js";
import { foreignOriginReason, isLoopbackOrAddress } from "../../src/http/same-origin.js";
import { fingerprintMismatch, fingerprintOf, type Fingerprint } from "../../web/src/fingerprint.js";
import { MAX_FILE_BYTES, SpeedMeter, formatBytes, formatDuration, formatSpeed, refusalReason } from "../../web/src/format.js";
import { authorizeUrl, challengeOf, isCallback, jwtClaims } from "../../web/src/oidc.js";

test("sizes, speeds and durations in words", () => {
  assert.equal(formatBytes(0), "0 bytes");
  assert.equal(formatBytes(1), "1 byte");
  assert.equal(formatBytes(1023), "1023 bytes");
  assert.equal(formatBytes(1024), "1.0 KiB");
  assert.equal(formatBytes(20 * 1_048_576), "20.0 MiB");
  assert.equal(formatBytes(150 * 1_048_576), "150 MiB");
  assert.equal(formatBytes(-1), "—");
  assert.equal(formatSpeed(undefined), "—");
  assert.equal(formatSpeed(2 * 1_048_576), "2.0 MiB/s");
  assert.equal(formatDuration(0), "0 s");
  assert.equal(formatDuration(0.2), "1 s");
  assert.equal(formatDuration(59), "59 s");
  assert.equal(formatDuration(65), "1 min 5 s");
  assert.equal(formatDuration(120), "2 min");
  assert.equal(formatDuration(3600 * 2 + 180), "2 h 3 min");
  assert.equal(formatDuration(Number.NaN), "—");
});

test("files over 25 MiB are refused, saying the limit; 0 bytes and exactly 25 MiB are not", () => {
  assert.equal(refusalReason("a.bin", 0), undefined);
  assert.equal(refusalReason("a.bin", MAX_FILE_BYTES), undefined);
  assert.match(refusalReason("a.bin", MAX_FILE_BYTES + 1)!, /a\.bin is 25\.0 MiB \(26,214,401 bytes\): To Do attachments can be at most 25 MiB \(26,214,400 bytes\)/);
  assert.match(refusalReason("big.iso", 26 * 1_048_576)!, /26\.0 MiB/);
  assert.match(refusalReason("  ", 10)!, /without a name/);
});

test("the speed estimate follows a sliding window and resets on a lower count", () => {
  const m = new SpeedMeter(5_000);
  assert.equal(m.speed(), undefined);
  m.add(0, 0);
  assert.equal(m.speed(), undefined);
  m.add(1_000, 1_000_000);
  assert.equal(m.speed(), 1_000_000);
  assert.equal(m.secondsLeft(3_000_000), 2);
  m.add(2_000, 3_000_000);
  assert.equal(m.speed(), 1_500_000);
  // Old samples leave the window: only the last 5 s count.
  m.add(10_000, 4_000_000);
  m.add(11_000, 5_000_000);
  assert.equal(m.speed(), 1_000_000);
  m.add(12_000, 100);
  assert.equal(m.speed(), undefined, "a restart from a lower count starts over");
  m.reset();
  assert.equal(m.secondsLeft(10), undefined);
});

test("fingerprints: name, size, lastModified and the first MiB's SHA-256 tell files apart", async () => {
  const bytes = new Uint8Array(1_048_576 + 10).fill(7);
  const a = new File([bytes], "x.bin", { lastModified: 1000 });
  const fa = await fingerprintOf(a);
  assert.equal(fa.size, bytes.length);
  assert.match(fa.head, /^[0-9a-f]{64}$/);
  // Only the first MiB is hashed: a change after it keeps the head (the SDK's whole-file check catches it).
  const tail = bytes.slice();
  tail[bytes.length - 1] = 1;
  assert.equal((await fingerprintOf(new File([tail], "x.bin", { lastModified: 1000 }))).head, fa.head);
  const head = bytes.slice();
  head[0] = 1;
  const cases: [Fingerprint, RegExp][] = [
    [await fingerprintOf(new File([bytes], "y.bin", { lastModified: 1000 })), /called y\.bin, not x\.bin/],
    [await fingerprintOf(new File([bytes.slice(1)], "x.bin", { lastModified: 1000 })), /has 1,048,585 bytes, the paused upload 1,048,586/],
    [await fingerprintOf(new File([bytes], "x.bin", { lastModified: 2000 })), /modified at another time/],
    [await fingerprintOf(new File([head], "x.bin", { lastModified: 1000 })), /content differs/],
  ];
  for (const [other, why] of cases) assert.match(fingerprintMismatch(fa, other)!, why);
  assert.equal(fingerprintMismatch(fa, await fingerprintOf(new File([bytes], "x.bin", { lastModified: 1000 }))), undefined);
  const empty = await fingerprintOf(new File([], "e", { lastModified: 1 }));
  assert.equal(empty.head, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
});

test("PKCE S256 and the authorization request (RFC 7636 appendix B)", async () => {
  assert.equal(await challengeOf("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  const u = new URL(
    authorizeUrl(
      { issuer: "https://id.example", authorization_endpoint: "https://id.example/auth?tenant=1", token_endpoint: "https://id.example/token" },
      { issuer: "https://id.example", clientId: "page", scopes: "openid profile" },
      { redirectUri: "http://127.0.0.1:8080/", state: "s1", nonce: "n1", challenge: "c1" },
    ),
  );
  assert.equal(u.origin + u.pathname, "https://id.example/auth");
  assert.deepEqual(Object.fromEntries(u.searchParams), {
    tenant: "1",
    response_type: "code",
    client_id: "page",
    redirect_uri: "http://127.0.0.1:8080/",
    scope: "openid profile",
    state: "s1",
    nonce: "n1",
    code_challenge: "c1",
    code_challenge_method: "S256",
  });
  assert.equal(isCallback(new URL("http://h/?code=1&state=2")), true);
  assert.equal(isCallback(new URL("http://h/?error=access_denied&state=2")), true);
  assert.equal(isCallback(new URL("http://h/?code=1")), false);
  const payload = Buffer.from(JSON.stringify({ sub: "ü", n: 1 })).toString("base64url");
  assert.deepEqual(jwtClaims(`h.${payload}.s`), { sub: "ü", n: 1 });
  assert.deepEqual(jwtClaims("garbage"), {});
});

test("the development token endpoint answers only the server's own page", () => {
  const urls = { trustProxy: false, https: false, fallbackHost: () => "127.0.0.1:8080" };
  const own = { host: "127.0.0.1:8080", origin: "http://127.0.0.1:8080" };
  assert.equal(foreignOriginReason(own, urls), undefined);
  assert.equal(foreignOriginReason({ ...own, "sec-fetch-site": "same-origin" }, urls), undefined);
  assert.match(foreignOriginReason({ host: own.host }, urls)!, /no Origin/);
  assert.match(foreignOriginReason({ ...own, origin: "null" }, urls)!, /no Origin/);
  assert.match(foreignOriginReason({ ...own, origin: "http://127.0.0.1:8081" }, urls)!, /not this server's/);
  assert.match(foreignOriginReason({ ...own, origin: "https://127.0.0.1:8080" }, urls)!, /not this server's/);
  assert.match(foreignOriginReason({ ...own, origin: "not a url" }, urls)!, /not a URL/);
  assert.match(foreignOriginReason({ ...own, "sec-fetch-site": "same-site" }, urls)!, /another site/);
  assert.match(foreignOriginReason({ host: "evil.example:8080", origin: "http://evil.example:8080" }, urls)!, /neither localhost nor an IP address/);
  assert.equal(foreignOriginReason({ host: "[::1]:8080", origin: "http://[::1]:8080" }, urls), undefined);
  // Behind a proxy with --public-url, the public origin is the page's.
  const pub = { ...urls, publicUrl: "https://todo.example.com" };
  assert.equal(foreignOriginReason({ host: "10.0.0.5:8080", origin: "https://todo.example.com" }, pub), undefined);
  assert.match(foreignOriginReason({ host: "10.0.0.5:8080", origin: "http://10.0.0.5:8080" }, pub)!, /not this server's/);
  for (const h of ["localhost", "app.localhost", "127.0.0.1", "10.1.2.3", "[::1]", "::1"]) assert.equal(isLoopbackOrAddress(h), true, h);
  for (const h of ["example.com", "localhost.example.com", "999.1.1.1", "127.0.0.1.nip.io"]) assert.equal(isLoopbackOrAddress(h), false, h);
});

test("content negotiation, revalidation and the page's settings", () => {
  assert.equal(chooseEncoding("gzip, deflate, br", true), "br");
  assert.equal(chooseEncoding("gzip", true), "gzip");
  assert.equal(chooseEncoding("br;q=0, gzip", true), "gzip");
  assert.equal(chooseEncoding("*", true), "br");
  assert.equal(chooseEncoding("*;q=0", true), "identity");
  assert.equal(chooseEncoding("identity", true), "identity");
  assert.equal(chooseEncoding(undefined, true), "identity");
  assert.equal(chooseEncoding("br", false), "identity");
  const f = { etag: '"abc"' } as PageFile;
  assert.equal(notModified('"abc"', f), true);
  assert.equal(notModified('W/"abc.br"', f), true);
  assert.equal(notModified('"x", "abc.gz"', f), true);
  assert.equal(notModified("*", f), true);
  assert.equal(notModified('"abd"', f), false);
  assert.equal(notModified(undefined, f), false);
  assert.equal(
    withSettings('<head><meta name="taskdrop-config" content="{}"></head>', { auth: "oidc", issuer: 'https://x/"<&' }),
    '<head><meta name="taskdrop-config" content="{&quot;auth&quot;:&quot;oidc&quot;,&quot;issuer&quot;:&quot;https://x/\\&quot;&lt;&amp;&quot;}"></head>',
  );
  assert.throws(() => withSettings("<head></head>", { auth: "dev" }), /taskdrop-config/);
  assert.match(pageCsp({ auth: "oidc", issuer: "https://id.example/t/v2.0", clientId: "c" }), /connect-src 'self' https:\/\/id\.example;/);
  assert.match(pageCsp({ auth: "oidc", issuer: "https://id.example/t/v2.0" }), /connect-src 'self';/);
});
