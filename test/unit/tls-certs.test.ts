// Development and user TLS certificates, exercised through real TLS handshakes with node:https.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { X509Certificate, generateKeyPairSync } from "node:crypto";
import { copyFile, chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import https from "node:https";
import type { AddressInfo, LookupFunction } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureDevCertificates, TLS_FILES } from "../../src/tls/dev-certs.js";
import { loadUserCertificate } from "../../src/tls/load-certs.js";
import { TlsConfigError } from "../../src/tls/common.js";

const DAY_MS = 86_400_000;

let scratch: string;
let n = 0;
/** A fresh, not yet existing directory under the test's scratch dir. */
const freshDir = (): string => join(scratch, `tls-${++n}`);

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "taskdrop-tls-test-"));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function caFingerprint(caFile: string): Promise<string> {
  return new X509Certificate(await readFile(caFile, "utf8")).fingerprint256;
}

async function mode(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

/** An https server answering "ok"; `host` is where it listens. */
async function serve(material: { cert: string; key: string }, host = "127.0.0.1") {
  const server = https.createServer({ cert: material.cert, key: material.key }, (_req, res) => res.end("ok"));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// Resolves every name to 127.0.0.1, so the name checked against the certificate is the URL's
// own host while the server only needs to listen on the loopback address.
const toLoopback = ((_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) => {
  if (opts.all) cb(null, [{ address: "127.0.0.1", family: 4 }]);
  else cb(null, "127.0.0.1", 4);
}) as unknown as LookupFunction;

function get(url: string, opts: https.RequestOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { agent: false, lookup: toLoopback, ...opts }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve(body));
    });
    req.on("error", reject);
  });
}

/** Asserts `p` rejects with a one-line TlsConfigError that mentions `name`. */
async function rejectsNaming(p: Promise<unknown>, name: string, also?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof TlsConfigError, `expected TlsConfigError, got ${String(err)}`);
    assert.ok(err.message.includes(name), `message should name ${name}: ${err.message}`);
    assert.ok(!err.message.includes("\n"), "message should be one line");
    if (also) assert.match(err.message, also);
    return true;
  });
}

describe("development certificates", () => {
  let dir: string;
  let first: Awaited<ReturnType<typeof ensureDevCertificates>>;
  let server: Awaited<ReturnType<typeof serve>>;
  let ca: string;

  before(async () => {
    dir = freshDir();
    first = await ensureDevCertificates(dir);
    ca = await readFile(first.caFile, "utf8");
    server = await serve(first);
  });
  after(async () => {
    await server.close();
  });

  test("first use creates a CA and a server certificate with private permissions", async () => {
    assert.equal(first.created, true);
    assert.equal(first.renewed, false);
    assert.equal(first.caFile, join(dir, TLS_FILES.caCert));
    assert.deepEqual((await readdir(dir)).sort(), ["ca-key.pem", "ca.pem", "server-key.pem", "server.pem"]);
    assert.equal(await mode(dir), 0o700);
    assert.equal(await mode(join(dir, TLS_FILES.caKey)), 0o600);
    assert.equal(await mode(join(dir, TLS_FILES.serverKey)), 0o600);
    assert.match(first.key, /^-----BEGIN PRIVATE KEY-----/); // PKCS#8

    const caCert = new X509Certificate(ca);
    const leaf = new X509Certificate(first.cert);
    assert.equal(caCert.ca, true);
    assert.match(caCert.subject, /CN=Taskdrop Development CA/);
    assert.equal(leaf.ca, false);
    assert.ok(leaf.checkIssued(caCert) && leaf.verify(caCert.publicKey));
    const days = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / DAY_MS;
    assert.ok(days > 300 && days <= 397, `server certificate lasts ${days} days`);
    assert.ok((Date.parse(caCert.validTo) - Date.now()) / DAY_MS > 9 * 365);
  });

  test("a client trusting ca.pem connects by localhost and 127.0.0.1", async () => {
    assert.equal(await get(`https://localhost:${server.port}/`, { ca }), "ok");
    assert.equal(await get(`https://127.0.0.1:${server.port}/`, { ca }), "ok");
  });

  test("a client trusting ca.pem connects over ::1", async (t) => {
    let v6: Awaited<ReturnType<typeof serve>>;
    try {
      v6 = await serve(first, "::1");
    } catch (err) {
      t.skip(`no IPv6 loopback here (${(err as NodeJS.ErrnoException).code})`);
      return;
    }
    try {
      assert.equal(await get(`https://[::1]:${v6.port}/`, { ca, lookup: undefined }), "ok");
    } finally {
      await v6.close();
    }
  });

  test("a client without the CA is refused with a certificate error", async () => {
    await assert.rejects(get(`https://localhost:${server.port}/`), { code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" });
  });

  test("a name outside the certificate is refused", async () => {
    await assert.rejects(get(`https://taskdrop.test:${server.port}/`, { ca }), { code: "ERR_TLS_CERT_ALTNAME_INVALID" });
  });

  test("a second start reuses both certificates", async () => {
    const again = await ensureDevCertificates(dir);
    assert.equal(again.created, false);
    assert.equal(again.renewed, false);
    assert.equal(again.cert, first.cert);
    assert.equal(again.key, first.key);
    assert.equal(await caFingerprint(again.caFile), await caFingerprint(first.caFile));
  });

  test("a key file left group-readable is tightened back to 0600", async () => {
    await chmod(join(dir, TLS_FILES.serverKey), 0o644);
    const again = await ensureDevCertificates(dir);
    assert.equal(again.renewed, false);
    assert.equal(await mode(join(dir, TLS_FILES.serverKey)), 0o600);
  });

  test("extra hosts re-issue the server certificate, which then serves that name", async () => {
    const more = await ensureDevCertificates(dir, { extraHosts: ["Taskdrop.test", "10.1.2.3"] });
    assert.equal(more.created, false);
    assert.equal(more.renewed, true);
    const leaf = new X509Certificate(more.cert);
    assert.ok(leaf.checkHost("taskdrop.test") && leaf.checkIP("10.1.2.3") && leaf.checkIP("::1"));
    const s = await serve(more);
    try {
      assert.equal(await get(`https://taskdrop.test:${s.port}/`, { ca }), "ok");
    } finally {
      await s.close();
    }
    // Asking again for the same names reuses it.
    const same = await ensureDevCertificates(dir, { extraHosts: ["taskdrop.test"] });
    assert.equal(same.renewed, false);
    assert.equal(same.cert, more.cert);
  });

  test("invalid extra hosts are a TlsConfigError", async () => {
    for (const bad of ["", "*.example.test", "bad host", "-x.test", "a..b"]) {
      await assert.rejects(ensureDevCertificates(dir, { extraHosts: [bad] }), TlsConfigError, JSON.stringify(bad));
    }
  });

  test("340 days later the server certificate is renewed with the same CA", async () => {
    const fp = await caFingerprint(first.caFile);
    const now = new Date(Date.now() + 340 * DAY_MS);
    const later = await ensureDevCertificates(dir, { now });
    assert.equal(later.created, false);
    assert.equal(later.renewed, true);
    assert.notEqual(later.cert, first.cert);
    assert.equal(await caFingerprint(later.caFile), fp);
    const leaf = new X509Certificate(later.cert);
    const caCert = new X509Certificate(await readFile(later.caFile, "utf8"));
    assert.ok(leaf.checkIssued(caCert) && leaf.verify(caCert.publicKey));
    assert.ok(Math.abs(Date.parse(leaf.validFrom) - now.getTime()) < 2 * 3600_000);
    // ...and is then kept at that date.
    const same = await ensureDevCertificates(dir, { now });
    assert.equal(same.renewed, false);
    assert.equal(same.cert, later.cert);
  });
});

describe("development certificates: repair and concurrency", () => {
  test("a server certificate from another CA is replaced, keeping the stored CA", async () => {
    const a = freshDir();
    const b = freshDir();
    const ma = await ensureDevCertificates(a);
    await ensureDevCertificates(b);
    await copyFile(join(b, TLS_FILES.serverCert), join(a, TLS_FILES.serverCert));
    await copyFile(join(b, TLS_FILES.serverKey), join(a, TLS_FILES.serverKey));

    const fixed = await ensureDevCertificates(a);
    assert.equal(fixed.created, false);
    assert.equal(fixed.renewed, true);
    assert.equal(await caFingerprint(fixed.caFile), await caFingerprint(ma.caFile));
    const caA = new X509Certificate(await readFile(ma.caFile, "utf8"));
    assert.ok(new X509Certificate(fixed.cert).verify(caA.publicKey));
  });

  test("a damaged server key or a lost CA key is made again", async () => {
    const d = freshDir();
    const m = await ensureDevCertificates(d);
    const fp = await caFingerprint(m.caFile);

    await writeFile(join(d, TLS_FILES.serverKey), "not a key");
    const r = await ensureDevCertificates(d);
    assert.deepEqual([r.created, r.renewed], [false, true]);
    assert.equal(await caFingerprint(r.caFile), fp);

    await rm(join(d, TLS_FILES.caKey));
    const c = await ensureDevCertificates(d);
    assert.deepEqual([c.created, c.renewed], [true, false]);
    assert.notEqual(await caFingerprint(c.caFile), fp);
    const caCert = new X509Certificate(await readFile(c.caFile, "utf8"));
    assert.ok(new X509Certificate(c.cert).verify(caCert.publicKey));
  });

  test("concurrent first starts in one process agree on a single CA", async () => {
    const d = freshDir();
    const all = await Promise.all([1, 2, 3, 4].map(() => ensureDevCertificates(d)));
    assert.equal(all.filter((m) => m.created).length, 1);
    for (const m of all) assert.equal(m.cert, all[0]!.cert);
    assert.deepEqual((await readdir(d)).sort(), ["ca-key.pem", "ca.pem", "server-key.pem", "server.pem"]);
    const caCert = new X509Certificate(await readFile(join(d, TLS_FILES.caCert), "utf8"));
    assert.ok(new X509Certificate(all[0]!.cert).verify(caCert.publicKey));
  });

  test("concurrent first starts in separate processes leave one consistent set", async () => {
    const d = freshDir();
    const moduleUrl = new URL("../../src/tls/dev-certs.js", import.meta.url).href;
    const script =
      `const { ensureDevCertificates } = await import(${JSON.stringify(moduleUrl)});` +
      `const m = await ensureDevCertificates(${JSON.stringify(d)});` +
      `process.stdout.write(JSON.stringify({ created: m.created, cert: m.cert }));`;
    const runs = await Promise.all(
      [1, 2, 3].map(
        () =>
          new Promise<{ created: boolean; cert: string }>((resolve, reject) => {
            const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
            let out = "";
            child.stdout.on("data", (c: Buffer) => (out += c.toString()));
            child.on("error", reject);
            child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`child exited ${code}`))));
          }),
      ),
    );
    assert.equal(runs.filter((r) => r.created).length, 1);
    for (const r of runs) assert.equal(r.cert, runs[0]!.cert);
    const again = await ensureDevCertificates(d);
    assert.deepEqual([again.created, again.renewed], [false, false]);
    assert.deepEqual((await readdir(d)).sort(), ["ca-key.pem", "ca.pem", "server-key.pem", "server.pem"]);
  });

  test("a lock left by a dead process or an earlier run with this pid is broken", async () => {
    for (const holder of ["2147483646 gone", `${process.pid} earlier-run`]) {
      const d = freshDir();
      await ensureDevCertificates(d);
      await writeFile(join(d, ".lock"), `${holder}\n`);
      const started = Date.now();
      const m = await ensureDevCertificates(d);
      assert.equal(m.created, false);
      assert.ok(Date.now() - started < 2000, "should not wait for the stale-lock timeout");
    }
  });
});

describe("loadUserCertificate", () => {
  let a: string;
  let b: string;
  before(async () => {
    a = freshDir();
    b = freshDir();
    await ensureDevCertificates(a);
    await ensureDevCertificates(b);
  });

  test("a matching pair loads, with its chain, and serves TLS", async () => {
    const chainFile = join(a, "chain.pem");
    await writeFile(chainFile, (await readFile(join(a, TLS_FILES.serverCert), "utf8")) + (await readFile(join(a, TLS_FILES.caCert), "utf8")));
    const m = await loadUserCertificate(chainFile, join(a, TLS_FILES.serverKey));
    assert.deepEqual([m.created, m.renewed, m.caFile], [false, false, undefined]);
    assert.equal(m.cert.match(/BEGIN CERTIFICATE/g)?.length, 2);
    const s = await serve(m);
    try {
      assert.equal(await get(`https://localhost:${s.port}/`, { ca: await readFile(join(a, TLS_FILES.caCert), "utf8") }), "ok");
    } finally {
      await s.close();
    }
  });

  test("a key that belongs to another certificate is refused, naming the key file", async () => {
    const keyFile = join(b, TLS_FILES.serverKey);
    await rejectsNaming(loadUserCertificate(join(a, TLS_FILES.serverCert), keyFile), keyFile, /does not match/);
  });

  test("a missing file is refused by name", async () => {
    const missing = join(a, "nope.pem");
    await rejectsNaming(loadUserCertificate(missing, join(a, TLS_FILES.serverKey)), missing, /no such file/);
    await rejectsNaming(loadUserCertificate(join(a, TLS_FILES.serverCert), missing), missing, /no such file/);
  });

  test("garbage, swapped and encrypted files are refused by name", async () => {
    const garbage = join(a, "garbage.pem");
    await writeFile(garbage, "hello, this is not PEM\n");
    await rejectsNaming(loadUserCertificate(garbage, join(a, TLS_FILES.serverKey)), garbage, /no PEM certificate/);
    await rejectsNaming(loadUserCertificate(join(a, TLS_FILES.serverCert), garbage), garbage, /no PEM private key/);

    const broken = join(a, "broken.pem");
    await writeFile(broken, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    await rejectsNaming(loadUserCertificate(broken, join(a, TLS_FILES.serverKey)), broken, /cannot be parsed/);

    const keyFile = join(a, TLS_FILES.serverKey);
    await rejectsNaming(loadUserCertificate(keyFile, join(a, TLS_FILES.serverCert)), keyFile, /swapped/);

    const encrypted = join(a, "encrypted-key.pem");
    const { privateKey } = generateKeyPairSync("ec", {
      namedCurve: "P-256",
      privateKeyEncoding: { type: "pkcs8", format: "pem", cipher: "aes-128-cbc", passphrase: "secret" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    });
    await writeFile(encrypted, privateKey);
    await rejectsNaming(loadUserCertificate(join(a, TLS_FILES.serverCert), encrypted), encrypted, /encrypted/);
  });

  test("an unreadable file is refused by name", { skip: process.getuid?.() === 0 ? "root reads every file" : false }, async () => {
    const locked = join(a, "locked.pem");
    await copyFile(join(a, TLS_FILES.serverCert), locked);
    await chmod(locked, 0o000);
    await rejectsNaming(loadUserCertificate(locked, join(a, TLS_FILES.serverKey)), locked, /permission denied/);
  });
});
