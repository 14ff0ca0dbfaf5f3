// `serve --https` and `--tls-cert/--tls-key` over real TLS handshakes: the development CA is made
// once and kept, clients that trust it (and only it) get through, clients that trust nothing are
// refused by TLS, and bad certificate files stop the real CLI with one clear line.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { chmod, copyFile, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import tls from "node:tls";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { loadConfig } from "../../src/config.js";
import { TlsConfigError } from "../../src/tls/index.js";
import { startTestServer, tempDir } from "../helpers/server.js";
import { runCli, runNode } from "../helpers/cli.js";
import { callVia, fetchVia, makeUserCertificate, startCli, tlsFailureCode, trustingAgent, type UserCertificate } from "../helpers/tls.js";

/** What OpenSSL says when the chain does not end in a trusted root (the server sends its leaf only). */
const UNTRUSTED = /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_SIGNATURE_FAILURE)$/;

const mode = async (p: string) => (await stat(p)).mode & 0o777;
const DAY_MS = 86_400_000;

/** The certificate a server presents now (a new connection, no verification). */
function servedCertificate(port: number): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, servername: "localhost", rejectUnauthorized: false }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.destroy();
      resolve(new X509Certificate(raw));
    });
    socket.on("error", reject);
  });
}
const localhost = (url: string) => url.replace("127.0.0.1", "localhost");

// A child process that trusts the CA only through NODE_EXTRA_CA_CERTS, as the README tells users.
const CHILD_GET = `
fetch(process.env.TARGET, { headers: { authorization: "Bearer " + process.env.TOKEN } })
  .then(async (r) => console.log(JSON.stringify({ status: r.status, context: (await r.json())["@odata.context"] })))
  .catch((e) => { let c = e; while (c.cause) c = c.cause; console.log(JSON.stringify({ error: c.code || String(c) })); });`;

describe("serve --https with the development CA", () => {
  let scratch: string;
  before(() => {
    scratch = tempDir("taskdrop-https-");
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  test("the CA is made once and reused across a restart; only clients that trust it get through", async () => {
    const s = await startTestServer({ https: true });
    try {
      assert.match(s.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const tls = s.running.tls!;
      const caFile = join(s.dataDir, "tls", "ca.pem");
      assert.equal(tls.caFile, caFile);
      assert.equal(tls.created, true);
      assert.equal(await mode(join(s.dataDir, "tls", "ca-key.pem")), 0o600);
      assert.equal(await mode(join(s.dataDir, "tls", "server-key.pem")), 0o600);
      const caPem = await readFile(caFile, "utf8");
      const leaf = new X509Certificate(tls.cert);
      for (const name of ["localhost"]) assert.ok(leaf.checkHost(name), `certificate covers ${name}`);
      for (const ip of ["127.0.0.1", "::1"]) assert.ok(leaf.checkIP(ip), `certificate covers ${ip}`);

      const base = localhost(s.url);
      const token = await s.token();
      const lists = `${base}/v1.0/me/todo/lists`;

      // Trusts that CA and nothing else: the request completes, and URLs it is given are https.
      const trusted = trustingAgent(caPem);
      const ok = await callVia(fetchVia(trusted), "GET", lists, { token });
      assert.equal(ok.status, 200);
      assert.ok(ok.json["@odata.context"].startsWith(`${base}/v1.0/$metadata#users('`), ok.json["@odata.context"]);
      await trusted.close();

      // Trusts nothing beyond Node's public roots: refused during the handshake.
      const bare = trustingAgent(undefined);
      await assert.rejects(callVia(fetchVia(bare), "GET", lists, { token }), (e) => UNTRUSTED.test(tlsFailureCode(e)));
      await bare.close();
      // Node's global fetch, as any program that was not told about the CA.
      await assert.rejects(fetch(lists), (e) => UNTRUSTED.test(tlsFailureCode(e)));
      // Trusts some other CA: refused too.
      const other = await makeUserCertificate(await mkdirIn(scratch, "other-ca"));
      const wrong = trustingAgent(other.caPem);
      await assert.rejects(callVia(fetchVia(wrong), "GET", lists, { token }), (e) => UNTRUSTED.test(tlsFailureCode(e)));
      await wrong.close();

      // Restart on the same data directory: same CA file, nothing re-made, old trust still works.
      await s.restart();
      assert.equal(s.running.tls!.created, false);
      assert.equal(s.running.tls!.renewed, false);
      assert.equal(await readFile(caFile, "utf8"), caPem);
      assert.equal(s.running.tls!.cert, tls.cert, "the server certificate is kept too");
      const again = trustingAgent(caPem);
      assert.equal((await callVia(fetchVia(again), "GET", lists, { token })).status, 200);

      // The README's trust step: NODE_EXTRA_CA_CERTS in a child process; without it, refused.
      const viaEnv = await runNode(["-e", CHILD_GET], { NODE_EXTRA_CA_CERTS: caFile, TARGET: lists, TOKEN: token });
      assert.deepEqual(JSON.parse(viaEnv.stdout), { status: 200, context: ok.json["@odata.context"] });
      const noEnv = await runNode(["-e", CHILD_GET], { TARGET: lists, TOKEN: token });
      assert.match(JSON.parse(noEnv.stdout).error, UNTRUSTED);

      await again.close();
    } finally {
      await s.close();
    }
  });

  test("uploadUrl and Location are https URLs on the host the client used", async () => {
    const s = await startTestServer({ https: true });
    const agent = trustingAgent(await readFile(s.running.tls!.caFile!, "utf8"));
    const f = fetchVia(agent);
    try {
      const base = localhost(s.url);
      const token = await s.token();
      const list = await callVia(f, "POST", `${base}/v1.0/me/todo/lists`, { token, json: { displayName: "L" } });
      const task = await callVia(f, "POST", `${base}/v1.0/me/todo/lists/${list.json.id}/tasks`, { token, json: { title: "T" } });
      const ses = await callVia(f, "POST", `${base}/v1.0/me/todo/lists/${list.json.id}/tasks/${task.json.id}/attachments/createUploadSession`, {
        token,
        json: { attachmentInfo: { attachmentType: "file", name: "a.txt", size: 5 } },
      });
      assert.equal(ses.status, 200);
      assert.ok(ses.json.uploadUrl.startsWith(`${base}/v1.0/users/`), ses.json.uploadUrl);
      const put = await callVia(f, "PUT", ses.json.uploadUrl, {
        body: Buffer.from("hello"),
        headers: { "content-type": "application/octet-stream", "content-range": "bytes 0-4/5" },
      });
      assert.equal(put.status, 201);
      assert.ok(put.headers.get("location")!.startsWith(`${base}/v1.0/users/`));
      const value = await callVia(f, "GET", `${put.headers.get("location")}/$value`, { token });
      assert.equal(value.text, "hello");
    } finally {
      await agent.close();
      await s.close();
    }
  });

  test("a running server renews its development certificate before expiry, with the same CA", async () => {
    let clock = Date.now();
    const s = await startTestServer({ https: true, now: () => new Date(clock) });
    try {
      const port = Number(new URL(s.url).port);
      const caFile = s.running.tls!.caFile!;
      const caPem = await readFile(caFile, "utf8");
      const before = await servedCertificate(port);
      assert.equal(await s.running.refreshTls(), false, "nothing to renew yet");
      clock += 340 * DAY_MS; // the 365-day certificate now has less than 30 days left
      assert.equal(await s.running.refreshTls(), true);
      assert.equal(s.running.tls!.renewed, true);
      const after = await servedCertificate(port);
      assert.notEqual(after.fingerprint256, before.fingerprint256, "new connections get the new certificate");
      assert.ok(after.checkIssued(new X509Certificate(caPem)), "issued by the same CA");
      assert.ok(Date.parse(after.validTo) > clock + 300 * DAY_MS);
      assert.equal(await readFile(caFile, "utf8"), caPem, "users' trust set-up survives renewals");
      assert.equal(await s.running.refreshTls(), false);
    } finally {
      await s.close();
    }
  });

  test("a running server picks up replaced --tls-cert/--tls-key files and keeps serving when they are broken", async () => {
    const a = await makeUserCertificate(await mkdirIn(scratch, "user-a"));
    const b = await makeUserCertificate(await mkdirIn(scratch, "user-b"));
    const live = await mkdirIn(scratch, "live");
    const certFile = join(live, "cert.pem");
    const keyFile = join(live, "key.pem");
    await copyFile(a.certFile, certFile);
    await copyFile(a.keyFile, keyFile);
    const s = await startTestServer({ tlsCert: certFile, tlsKey: keyFile });
    try {
      const port = Number(new URL(s.url).port);
      const url = `https://localhost:${port}/v1.0/me/todo/lists`;
      const trustA = trustingAgent(a.caPem);
      assert.equal((await callVia(fetchVia(trustA), "GET", url)).status, 401);
      await trustA.close();
      // A renewal (certbot and friends replace both files).
      await copyFile(b.certFile, certFile);
      await copyFile(b.keyFile, keyFile);
      assert.equal(await s.running.refreshTls(), true);
      const trustB = trustingAgent(b.caPem);
      assert.equal((await callVia(fetchVia(trustB), "GET", url)).status, 401, "TLS with the new certificate");
      await trustB.close();
      const trustOnlyA = trustingAgent(a.caPem);
      await assert.rejects(callVia(fetchVia(trustOnlyA), "GET", url), (e) => UNTRUSTED.test(tlsFailureCode(e)));
      await trustOnlyA.close();
      // Half-written files: the check fails with a clear error and the server keeps the last good pair.
      await copyFile(a.keyFile, keyFile);
      await assert.rejects(s.running.refreshTls(), (e) => e instanceof TlsConfigError && /does not match/.test(e.message));
      const stillB = trustingAgent(b.caPem);
      assert.equal((await callVia(fetchVia(stillB), "GET", url)).status, 401);
      await stillB.close();
    } finally {
      await s.close();
    }
  });

  test("port 8443 is the default with --https (or --tls-cert), 8080 without", () => {
    assert.equal(loadConfig({ https: true }, {}).port, 8443);
    assert.equal(loadConfig({}, { TASKDROP_HTTPS: "true" }).port, 8443);
    assert.equal(loadConfig({ tlsCert: "c.pem", tlsKey: "k.pem" }, {}).port, 8443);
    assert.equal(loadConfig({}, {}).port, 8080);
    assert.equal(loadConfig({ https: true, port: "9443" }, {}).port, 9443);
  });
});

async function mkdirIn(parent: string, name: string): Promise<string> {
  const dir = join(parent, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

describe("the real CLI", () => {
  let scratch: string;
  let cert: UserCertificate;
  before(async () => {
    scratch = tempDir("taskdrop-https-cli-");
    cert = await makeUserCertificate(scratch);
  });
  after(() => rm(scratch, { recursive: true, force: true }));

  test("serve --https prints the CA's path and the exact NODE_EXTRA_CA_CERTS line, then keeps the CA", async () => {
    const dataDir = join(scratch, "data-https");
    const caFile = join(dataDir, "tls", "ca.pem");
    const first = await startCli(["--https", "--port", "0", "--data-dir", dataDir]);
    let caPem: string;
    try {
      assert.match(first.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const lines = first.banner.split("\n");
      assert.ok(lines.includes(`Development CA: ${caFile}`), first.banner);
      assert.ok(lines.includes(`Trust it in Node clients with: NODE_EXTRA_CA_CERTS=${caFile}`), first.banner);
      caPem = await readFile(caFile, "utf8");
      const agent = trustingAgent(caPem);
      const r = await callVia(fetchVia(agent), "GET", `https://localhost:${first.port}/_taskdrop/health`);
      assert.ok(r.status < 500, `health answered ${r.status}`);
      await agent.close();
    } finally {
      assert.equal(await first.stop(), 0);
    }
    // Everything through the environment this time; the CA file is the same one.
    const second = await startCli([], { TASKDROP_HTTPS: "1", TASKDROP_PORT: "0", TASKDROP_DATA_DIR: dataDir });
    try {
      assert.match(second.url, /^https:/);
      assert.ok(second.banner.includes(`NODE_EXTRA_CA_CERTS=${caFile}\n`));
      assert.equal(await readFile(caFile, "utf8"), caPem);
    } finally {
      await second.stop();
    }
  });

  test("--tls-cert/--tls-key serve the user's own certificate", async () => {
    const srv = await startCli(["--tls-cert", cert.certFile, "--tls-key", cert.keyFile, "--port", "0", "--data-dir", join(scratch, "data-own")]);
    try {
      assert.match(srv.url, /^https:/);
      assert.doesNotMatch(srv.banner, /NODE_EXTRA_CA_CERTS/, "no development CA to trust");
      const agent = trustingAgent(cert.caPem);
      const f = fetchVia(agent);
      for (const host of ["localhost", "127.0.0.1"]) {
        const r = await callVia(f, "GET", `https://${host}:${srv.port}/v1.0/me/todo/lists`);
        assert.equal(r.status, 401, "TLS completed; the API answered");
      }
      await agent.close();
      const dev = trustingAgent(undefined);
      await assert.rejects(callVia(fetchVia(dev), "GET", `https://localhost:${srv.port}/v1.0/me/todo/lists`), (e) => UNTRUSTED.test(tlsFailureCode(e)));
      await dev.close();
    } finally {
      await srv.stop();
    }
  });

  test("a missing, unreadable, mismatched or wrong file stops the start with one clear line", async () => {
    const missing = join(scratch, "nope.pem");
    const garbage = join(scratch, "garbage.pem");
    await writeFile(garbage, "not a certificate\n");
    const locked = join(scratch, "locked-key.pem");
    await writeFile(locked, await readFile(cert.keyFile));
    await chmod(locked, 0o000);
    const cases: { args: string[]; env?: NodeJS.ProcessEnv; expect: RegExp; skip?: boolean }[] = [
      { args: ["--tls-cert", missing, "--tls-key", cert.keyFile], expect: new RegExp(`cannot read TLS certificate file ${esc(missing)}: no such file`) },
      { args: ["--tls-cert", cert.certFile, "--tls-key", missing], expect: new RegExp(`cannot read TLS key file ${esc(missing)}: no such file`) },
      { args: ["--tls-cert", scratch, "--tls-key", cert.keyFile], expect: new RegExp(`cannot read TLS certificate file ${esc(scratch)}: is a directory`) },
      // root reads anything, so the permission case only means something for other users.
      { args: ["--tls-cert", cert.certFile, "--tls-key", locked], expect: /cannot read TLS key file .*: permission denied/, skip: process.getuid?.() === 0 },
      { args: ["--tls-cert", cert.certFile, "--tls-key", cert.strangerKeyFile], expect: /TLS key file .*stranger-key\.pem does not match the certificate in .*fullchain\.pem/ },
      { args: ["--tls-cert", cert.keyFile, "--tls-key", cert.certFile], expect: /holds no PEM certificate \(it holds a private key: are --tls-cert and --tls-key swapped\?\)/ },
      { args: ["--tls-cert", garbage, "--tls-key", cert.keyFile], expect: /TLS certificate file .*garbage\.pem holds no PEM certificate/ },
      { args: ["--tls-cert", cert.certFile], expect: /--tls-cert and --tls-key go together/ },
      { args: [], env: { TASKDROP_TLS_CERT: cert.certFile, TASKDROP_TLS_KEY: cert.strangerKeyFile }, expect: /does not match the certificate/ },
    ];
    const runs = await Promise.all(
      cases.filter((c) => !c.skip).map(async (c) => ({ c, r: await runCli(["serve", "--port", "0", "--data-dir", join(scratch, "data-bad"), ...c.args], c.env) })),
    );
    for (const { c, r } of runs) {
      const what = `${c.args.join(" ")} ${JSON.stringify(c.env ?? {})}`;
      assert.equal(r.code, 2, `${what}: exit code`);
      assert.match(r.stderr, /^taskdrop: [^\n]+\n$/, `${what}: one line on stderr, got ${JSON.stringify(r.stderr)}`);
      assert.match(r.stderr, c.expect, what);
      assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`);
    }
  });

  test("serve --help lists every option with its TASKDROP_* variable", async () => {
    const r = await runCli(["serve", "--help"]);
    assert.equal(r.code, 0);
    // One entry per option: its first line starts with the flag, continuation lines are indented deeper.
    const entries = new Map<string, string>();
    let current = "";
    for (const line of r.stdout.split("\n")) {
      const m = /^ {2}(?:-\w, )?(--[a-z-]+)/.exec(line);
      if (m) entries.set((current = m[1]!), line.trim());
      else if (current && line.trim()) entries.set(current, `${entries.get(current)} ${line.trim()}`);
    }
    for (const [flag, env] of [
      ["--https", "TASKDROP_HTTPS"],
      ["--tls-cert", "TASKDROP_TLS_CERT"],
      ["--tls-key", "TASKDROP_TLS_KEY"],
      ["--public-url", "TASKDROP_PUBLIC_URL"],
      ["--trust-proxy", "TASKDROP_TRUST_PROXY"],
      ["--cors-origins", "TASKDROP_CORS_ORIGINS"],
      ["--port", "TASKDROP_PORT"],
    ]) {
      assert.match(entries.get(flag!) ?? "", new RegExp(`\\(env [^)]*\\b${env}\\b`), `${flag} with ${env}`);
    }
    for (const [flag, text] of entries) {
      if (flag !== "--help") assert.match(text, /\(env [^)]*\bTASKDROP_[A-Z_]+\b/, `${flag} names its environment variable`);
    }
  });
});

function esc(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
