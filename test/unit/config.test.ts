import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, loadConfig } from "../../src/config.js";

test("flags win over TASKDROP_* environment, which wins over defaults", () => {
  assert.equal(loadConfig({}, {}).port, 8080);
  assert.equal(loadConfig({}, { PORT: "9000" }).port, 9000);
  assert.equal(loadConfig({}, { TASKDROP_PORT: "9001", PORT: "9000" }).port, 9001);
  assert.equal(loadConfig({ port: "9002" }, { TASKDROP_PORT: "9001" }).port, 9002);
  assert.equal(loadConfig({ https: true }, {}).port, 8443);
  assert.equal(loadConfig({}, { TASKDROP_HTTPS: "1" }).https, true);
  assert.equal(loadConfig({}, { TASKDROP_HTTPS: "" }).https, false, "an empty variable is unset");
  assert.throws(() => loadConfig({}, { TASKDROP_HTTPS: "yes" }), /TASKDROP_HTTPS must be true or false/);
});

test("slow-client bounds: 16 KiB/s minimum range rate and 64 PUTs in flight per user by default", () => {
  const c = loadConfig({}, {});
  assert.equal(c.minUploadRate, 16384);
  assert.equal(c.maxUploadsPerUser, 64);
  const set = loadConfig({ minUploadRate: "1000" }, { TASKDROP_MAX_UPLOADS_PER_USER: "3" });
  assert.equal(set.minUploadRate, 1000);
  assert.equal(set.maxUploadsPerUser, 3);
});

test("--public-url must be a plain base URL", () => {
  assert.equal(loadConfig({ publicUrl: "https://todo.example.com/graph/" }, {}).publicUrl, "https://todo.example.com/graph");
  for (const bad of ["https://x.example/?a=1", "https://x.example/#f", "https://user:pw@x.example", "ftp://x.example", "not a url"]) {
    assert.throws(() => loadConfig({ publicUrl: bad }, {}), ConfigError, bad);
  }
});

test("invalid values are refused with a message naming the option", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ port: "80a" }, /--port/],
    [{ port: "70000" }, /--port/],
    [{ store: "mysql" }, /--store/],
    [{ store: "postgres" }, /--database-url/],
    [{ sessionCasing: "snake" }, /--session-casing/],
    [{ tlsCert: "a.pem" }, /--tls-cert and --tls-key/],
    [{ authIssuer: "https://login.example.com" }, /--auth-audience/],
    [{ logLevel: "loud" }, /--log-level/],
    [{ rangeLimit: "0" }, /--range-limit/],
    [{ minUploadRate: "0" }, /--min-upload-rate/],
    [{ maxUploadsPerUser: "0" }, /--max-uploads-per-user/],
    [{ corsOrigins: "https://ok.example,javascript:x" }, /--cors-origins/],
  ];
  for (const [flags, msg] of cases) assert.throws(() => loadConfig(flags, {}), (e: Error) => e instanceof ConfigError && msg.test(e.message), JSON.stringify(flags));
});

test("--cors-origins keeps exact origins, * means every origin", () => {
  assert.equal(loadConfig({}, {}).corsOrigins, true);
  assert.deepEqual(loadConfig({ corsOrigins: "https://a.example, http://b.example:8080/" }, {}).corsOrigins, ["https://a.example", "http://b.example:8080"]);
});
